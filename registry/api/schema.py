"""How the OpenAPI schema reads the registry's own filters (imported by the views, which
registers it with drf-spectacular), and what every operation may answer besides its
own responses (``document_common_responses``, a postprocessing hook)."""

from django.utils.translation import gettext as _
from django_filters import filters
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes

from ..filtersets import SlugsFilter


class RegistryFilterExtension(DjangoFilterExtension):
    target_class = "registry.api.views.RegistryFilterBackend"
    priority = 1

    def resolve_filter_field(
        self, auto_schema, model, filterset_class, field_name, filter_field
    ):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        if isinstance(filter_field, filters.NumberFilter):
            # A year: a whole number within the filter's bounds (registry.filtersets
            # YearFilter), refused otherwise.
            bounds = {
                "minimum": filter_field.extra.get("min_value"),
                "maximum": filter_field.extra.get("max_value"),
            }
            for parameter in parameters:
                parameter["schema"] = {
                    "type": "integer",
                    **{
                        key: value for key, value in bounds.items() if value is not None
                    },
                }
        return parameters

    def _get_schema_from_model_field(self, auto_schema, filter_field, model):
        # A SlugsFilter or RegionsFilter takes slugs or codes of another model (the
        # agreement's through the facet index): not a field of the filtered model.
        if isinstance(filter_field, (SlugsFilter, filters.ModelMultipleChoiceFilter)):
            return build_basic_type(OpenApiTypes.STR)
        return super()._get_schema_from_model_field(auto_schema, filter_field, model)


# -- responses every operation may give ---------------------------------------------

JSON = "application/json"
ERROR = {"$ref": "#/components/schemas/Error"}
READS = {"get", "head"}
WRITES = {"post", "put", "patch", "delete"}


def _error_schema() -> dict:
    return {
        "type": "object",
        "description": _(
            "What went wrong (`detail`); a refused value also names each parameter "
            "or field (`errors`), with the row of a list where there is one."
        ),
        "properties": {
            "detail": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": {}},
        },
        "required": ["detail"],
    }


def _common_responses() -> dict:
    def error(description: str, **extra) -> dict:
        return {
            "description": description,
            **extra,
            "content": {JSON: {"schema": ERROR}},
        }

    return {
        "BadRequest": error(
            _("A parameter the API cannot read: `errors` names it, and says why.")
        ),
        "Unauthorized": error(
            _(
                "Not signed in, or the token or session is not valid. A write needs a "
                "staff member's token (`Authorization: Token …`) or session."
            ),
            headers={
                "WWW-Authenticate": {
                    "description": _("How to authenticate: `Token`."),
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
        ),
        "Forbidden": error(
            _(
                "Signed in, but not allowed: only staff write, with their model "
                "permissions (a curator cannot delete or publish), and a session "
                "write needs its CSRF token."
            )
        ),
        "NotFound": error(
            _(
                "No such record, or no such page of results (a page past the last, an "
                "unreadable cursor)."
            )
        ),
        "UnsupportedMediaType": error(
            _("The body is not JSON (`Content-Type: application/json`).")
        ),
        "TooManyRequests": error(
            _(
                "Too many anonymous requests from this address: wait as many seconds "
                "as `Retry-After` says. Signed-in users are not limited."
            ),
            headers={
                "Retry-After": {
                    "description": _("Seconds to wait before asking again."),
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                }
            },
        ),
    }


NO_NUL = r"^[^\x00]*$"


def _refuse_nul(schema: dict) -> None:
    """A query parameter's text (or each item's) may not hold a NUL character
    (registry.api.params.reject_null_characters): say so where nothing narrower does."""
    if schema.get("type") == "array":
        _refuse_nul(schema.get("items", {}))
    elif schema.get("type") == "string" and not {"enum", "pattern"} & set(schema):
        schema["pattern"] = NO_NUL


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/responses/{name}"}


def document_common_responses(result, generator, request, public):
    """Answers that do not depend on the operation, as shared components, with the
    body of every error (``detail``, and ``errors`` by parameter or field):

    - reads are public: a token or session is optional (staff see unpublished records
      too); an invalid one is a 401;
    - writes need a staff member's token or session (401 without, 403 without the
      model permission);
    - 404 for an operation on one record, and for a page of results past the last;
    - 429 when anonymous use is over its rate (``settings.API_ANON_RATE``), with
      ``Retry-After``.
    """
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = _error_schema()
    components["responses"] = {
        **components.get("responses", {}),
        **_common_responses(),
    }
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in READS | WRITES:
                continue
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                if code.startswith("4") and "content" not in response:
                    response["content"] = {JSON: {"schema": ERROR}}
            names = {p.get("name") for p in operation.get("parameters", [])}
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _refuse_nul(parameter.get("schema", {}))
            security = operation.get("security", [])
            if method in READS and {} not in security:
                operation["security"] = [*security, {}]
            if any(p.get("in") == "query" for p in operation.get("parameters", [])):
                responses.setdefault("400", _ref("BadRequest"))
            responses.setdefault("401", _ref("Unauthorized"))
            if method in WRITES:
                responses.setdefault("403", _ref("Forbidden"))
            if "requestBody" in operation:
                responses.setdefault("415", _ref("UnsupportedMediaType"))
            if "{" in path or names & {"page", "cursor"}:
                responses.setdefault("404", _ref("NotFound"))
            responses.setdefault("429", _ref("TooManyRequests"))
            operation["responses"] = dict(
                sorted(responses.items(), key=lambda entry: entry[0])
            )
    return result
