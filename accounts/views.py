"""Web pages of accounts: sign up, and a login page that shares the API's login rate limit."""

from typing import Any

from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.urls import reverse_lazy
from django.views.generic import CreateView

from accounts.forms import SignupForm
from accounts.throttling import LoginThrottle, RegisterThrottle


def _throttled(request: HttpRequest, throttle: LoginThrottle | RegisterThrottle) -> int | None:
    """Seconds to wait when the client is over the limit, else None (and the attempt is counted)."""
    if throttle.allow_request(request, None):  # type: ignore[arg-type]
        return None
    return max(1, int(throttle.wait() or 1))


class ThrottledLoginView(LoginView):
    """Django's LoginView; password guessing on the page is limited like POST /api/v1/auth/token/."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = _throttled(request, LoginThrottle())
        if wait is None:
            return super().post(request, *args, **kwargs)
        form = self.get_form()
        form.add_error(None, f"Too many login attempts. Try again in {wait} seconds.")
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(wait)
        return response


class SignupView(CreateView):
    form_class = SignupForm
    template_name = "registration/signup.html"
    success_url = reverse_lazy("home")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = _throttled(request, RegisterThrottle())
        if wait is None:
            return super().post(request, *args, **kwargs)
        self.object = None
        form = self.get_form()
        form.add_error(None, f"Too many sign-ups from your address. Try again in {wait} seconds.")
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(wait)
        return response

    def form_valid(self, form: SignupForm) -> HttpResponse:
        response = super().form_valid(form)
        login(self.request, self.object, backend="django.contrib.auth.backends.ModelBackend")
        return response
