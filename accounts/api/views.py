from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from config.schema import error_responses

from .serializers import MeSerializer


class MeView(APIView):
    @extend_schema(
        summary="The caller",
        description="Who the credentials belong to.",
        responses={200: MeSerializer, **error_responses(401, 429)},
        tags=["accounts"],
    )
    def get(self, request):
        return Response(MeSerializer(request.user).data)
