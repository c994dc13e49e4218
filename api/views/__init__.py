from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from ..exceptions import error_body


@csrf_exempt  # any method: the answer is the same 404, and nothing is written
def not_found(request: HttpRequest) -> JsonResponse:
    """Unknown API paths (URLs end with a slash; ids are numbers)."""
    return JsonResponse(error_body("not_found", "No such API endpoint. Paths end with a slash."), status=404)
