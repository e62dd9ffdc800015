from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    """Every route answers with and without its trailing slash, so no POST is ever redirected."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"
        # Object ids in paths are ASCII digits: anything else ("6.5", "٦") is no such path, a JSON 404.
        self._default_value_pattern = "[0-9]+"
