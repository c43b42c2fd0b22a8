"""Registration of users through the API (the sign-up page uses Django's UserCreationForm)."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from quantx_site.errors import ApiError, ErrorCode


def user_register(*, username: str, password: str, email: str = "") -> User:
    """Creates an active user after Django's password validators; raises ApiError (400, field named).

    Usernames are unique ignoring case, so "Alice" cannot impersonate "alice". Nothing is written
    when the input is refused.
    """
    username = User.normalize_username(username)
    email = User.objects.normalize_email(email)
    taken = ApiError(ErrorCode.ILLEGAL_PARAMETER, "username: This username is taken.", field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise taken
    try:
        validate_password(password, user=User(username=username, email=email))
    except DjangoValidationError as exc:
        raise ApiError(
            ErrorCode.ILLEGAL_PARAMETER, "password: " + " ".join(exc.messages), field="password"
        ) from None
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError:
        raise taken from None  # a concurrent registration took the name first
