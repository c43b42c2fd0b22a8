"""Accounts REST API: registration, JWT tokens, who-am-I and API keys.

Views only parse, call one service or selector and serialize (shared/STYLE.md). Errors leave in the
one shape (quantx_site/errors.py); documented per endpoint with `error_responses`.
"""

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.api_keys import api_key_create, api_key_list, api_key_revoke
from accounts.authentication import SIGNED_REQUEST_REFUSALS
from accounts.models import ApiKeyScope, User
from accounts.permissions import IsLoggedIn, request_api_key, request_scopes
from accounts.registration import user_register
from accounts.serializers import StrictCharField
from accounts.throttling import ApiKeyCreateThrottle, LoginThrottle, RegisterThrottle
from quantx_site.errors import ErrorCode
from quantx_site.openapi import error_responses
from quantx_site.serializers import StrictSerializer

TAG_AUTH = "auth"
TAG_KEYS = "api-keys"
LOGIN_ONLY: list[Any] = [{"jwtAuth": []}, {"cookieAuth": []}]  # security alternatives: no API key


@extend_schema_serializer(component_name="User")
class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField(help_text="An email address, or empty.")
    date_joined = serializers.DateTimeField()


class RegisterApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (RegisterThrottle,)

    @extend_schema_serializer(component_name="Register")
    class InputSerializer(StrictSerializer):
        username = StrictCharField(
            max_length=150, validators=[User.username_validator], help_text="Letters, digits and @.+-_ only."
        )
        password = StrictCharField(max_length=256, trim_whitespace=False, write_only=True)
        email = serializers.EmailField(required=False, allow_blank=True, default="")

    @extend_schema(
        tags=[TAG_AUTH],
        summary="Create an account",
        auth=[],
        request=InputSerializer,
        responses={201: UserOutputSerializer, **error_responses(400, 415, 429)},
        examples=[
            OpenApiExample(
                "Register",
                value={
                    "username": "alice",
                    "password": "correct-horse-battery-9",
                    "email": "alice@example.com",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_register(**serializer.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=[TAG_AUTH],
    summary="Obtain a JWT pair",
    description="Send the access token as `Authorization: Bearer <access>`.",
    request=TokenObtainPairSerializer,
    responses={200: TokenObtainPairSerializer, **error_responses(400, 401, 415, 429)},
)
class TokenObtainApi(TokenObtainPairView):
    throttle_classes = (LoginThrottle,)


@extend_schema(
    tags=[TAG_AUTH],
    summary="Refresh the access token",
    request=TokenRefreshSerializer,
    responses={200: TokenRefreshSerializer, **error_responses(400, 401, 415, 429)},
)
class TokenRefreshApi(TokenRefreshView):
    throttle_classes = (LoginThrottle,)


class MeApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema_serializer(component_name="Me")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        email = serializers.CharField(help_text="An email address, or empty.")
        auth = serializers.ChoiceField(
            choices=["jwt", "session", "api_key"], help_text="How this request was authenticated."
        )
        scopes = serializers.ListField(child=serializers.ChoiceField(choices=ApiKeyScope.values))
        api_key = serializers.CharField(allow_null=True, help_text="The signing key id, if any.")

    @extend_schema(
        tags=[TAG_AUTH],
        summary="Who am I",
        description="The user, how the request was authenticated and its scopes. Handy to test a key.",
        responses={200: OutputSerializer, **error_responses(401, examples={401: SIGNED_REQUEST_REFUSALS})},
        examples=[
            OpenApiExample(
                "Signed with an API key",
                description="`curl -H 'X-QX-APIKEY: qx_...' -H 'X-QX-TIMESTAMP: 1700000000000' "
                "-H 'X-QX-SIGNATURE: <hex HMAC-SHA256(secret, \"1700000000000GET/api/v1/auth/me/\")>' "
                "https://host/api/v1/auth/me/` (recipe: docs/api-auth.md)",
                value={
                    "id": 7,
                    "username": "alice",
                    "email": "alice@example.com",
                    "auth": "api_key",
                    "scopes": ["READ"],
                    "api_key": "qx_Jm3v0m7kq2dVZ9yXf1cW4rHh8sT6uLbN",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        api_key = request_api_key(request)
        if api_key is not None:
            method = "api_key"
        elif isinstance(request.successful_authenticator, JWTAuthentication):
            method = "jwt"
        else:
            method = "session"
        data: dict[str, Any] = {
            "id": request.user.pk,
            "username": request.user.get_username(),
            "email": getattr(request.user, "email", ""),
            "auth": method,
            "scopes": sorted(request_scopes(request)),
            "api_key": api_key.key if api_key is not None else None,
        }
        return Response(self.OutputSerializer(data).data)


@extend_schema_serializer(component_name="ApiKey")
class ApiKeyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField(help_text="Public key id, sent as X-QX-APIKEY.")
    label = serializers.CharField()
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=ApiKeyScope.values))
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True, help_text="Updated at most once a minute.")


class ApiKeyListCreateApi(APIView):
    permission_classes = (IsLoggedIn,)
    throttle_classes = (ApiKeyCreateThrottle,)

    @extend_schema_serializer(component_name="ApiKeyCreate")
    class InputSerializer(StrictSerializer):
        label = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
        scopes = serializers.ListField(
            child=serializers.ChoiceField(choices=ApiKeyScope.values),
            required=False,
            default=[ApiKeyScope.READ.value],
            allow_empty=False,
            max_length=len(ApiKeyScope.values),
        )

    @extend_schema_serializer(component_name="ApiKeyCreated")
    class CreatedOutputSerializer(ApiKeyOutputSerializer):
        secret = serializers.CharField(help_text="Shown in this response only, never again. Store it now.")

    @extend_schema(
        tags=[TAG_KEYS],
        summary="List my active API keys",
        auth=LOGIN_ONLY,
        responses={200: ApiKeyOutputSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        keys = api_key_list(user=request.user)
        return Response(ApiKeyOutputSerializer(keys, many=True).data)

    @extend_schema(
        tags=[TAG_KEYS],
        summary="Create an API key",
        description="Requires a JWT or a session: an API key cannot create keys. "
        "The secret is returned once, in this response.",
        auth=LOGIN_ONLY,
        request=InputSerializer,
        responses={
            201: CreatedOutputSerializer,
            **error_responses(
                400,
                401,
                403,
                415,
                429,
                examples={
                    400: [(ErrorCode.ILLEGAL_PARAMETER, 'scopes.0: "ADMIN" is not a valid choice.')],
                    403: [
                        (
                            ErrorCode.REJECTED_API_KEY,
                            "API keys cannot manage API keys; authenticate with a JWT or a session.",
                        )
                    ],
                },
            ),
        },
        examples=[
            OpenApiExample(
                "Trading bot", value={"label": "bot", "scopes": ["READ", "TRADE"]}, request_only=True
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = api_key_create(user=request.user, **serializer.validated_data)
        data = {**ApiKeyOutputSerializer(created.api_key).data, "secret": created.secret}
        response = Response(self.CreatedOutputSerializer(data).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class ApiKeyRevokeApi(APIView):
    permission_classes = (IsLoggedIn,)

    @extend_schema(
        tags=[TAG_KEYS],
        summary="Revoke an API key",
        description="Requests signed with it are refused from now on (-2015).",
        auth=LOGIN_ONLY,
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request: Request, key_id: int) -> Response:
        api_key_revoke(user=request.user, key_id=key_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
