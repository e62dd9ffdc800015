from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    """Every route answers with and without its trailing slash, so no POST is ever redirected."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"
