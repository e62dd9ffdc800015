"""What the access API's views share: the documented error answers and reading a request body."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

from access.api.serializers import ErrorSerializer

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input: `errors` names each field."),
    403: OpenApiResponse(ErrorSerializer, description="You may see this object but not do this."),
    404: OpenApiResponse(ErrorSerializer, description="No such object, or not one you may see."),
}
DECISION_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(ErrorSerializer, description="Not in a state that allows this (e.g. no longer pending)."),
}


def valid_input(data, serializer_class) -> dict:
    """``data`` checked by ``serializer_class``; a 400 naming each bad field otherwise."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def enum_values(choices) -> list[str]:
    return [value for value, _label in choices]
