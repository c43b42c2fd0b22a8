"""Per-process caches of the users and API keys that authenticate API requests.

Without them every JWT request reads its user and every signed request its key (one query each).
With them a process reads a user or key at most once per `AUTH_CACHE_SECONDS`
(QX_AUTH_CACHE_SECONDS, default 10; 0 turns the caches off). What that bounds:

- A user deactivated, deleted or given a new password, or an API key revoked, is refused at once by
  the process that made the change (the model signals and `api_key_revoke` evict it there), and by
  every other process after at most `AUTH_CACHE_SECONDS`.
- Every check of a request itself (token signature and expiry, timestamp window, HMAC) still runs
  on each request; only the row is reused.

The cached instances are shared by the requests of the process: authentication hands each request
its own shallow copy, so a request that changes `request.user` cannot change what another one sees.
Unknown ids and keys are not cached (each costs its query, as before).
"""

import copy
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import ApiKey, User

V = TypeVar("V")

MAX_ENTRIES = 10_000
"""A cache this full is emptied (cheap, and bounds memory whatever the traffic)."""

clock = time.monotonic
"""The caches' clock (tests move it)."""


class TtlCache(Generic[V]):
    """Values loaded on demand, kept for AUTH_CACHE_SECONDS; thread-safe enough for a cache (a
    race costs at most a second load). An eviction during a load keeps that load out of the cache."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], V | None]) -> V | None:
        ttl = settings.AUTH_CACHE_SECONDS
        now = clock()
        entry = self._entries.get(key)
        if entry is not None and now < entry[0]:
            return entry[1]
        generation = self._generation
        value = load()
        with self._lock:
            if value is None or ttl <= 0 or generation != self._generation:
                self._entries.pop(key, None)
            else:
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = (now + ttl, value)
        return value

    def evict(self, match: Callable[[Hashable, V], bool]) -> None:
        with self._lock:
            self._generation += 1
            for key, (_, value) in list(self._entries.items()):
                if match(key, value):
                    del self._entries[key]

    def clear(self) -> None:
        self.evict(lambda key, value: True)


_users: TtlCache[User] = TtlCache()
_api_keys: TtlCache[ApiKey] = TtlCache()


def user_cached(user_id: Any) -> User | None:
    """The (shared) user with this id, or None if there is none; read at most once per the bound."""
    model = get_user_model()
    return _users.get(user_id, lambda: model.objects.filter(pk=user_id).first())


def api_key_cached(key: str) -> ApiKey | None:
    """The (shared) key with its user loaded, or None if there is no such key."""
    return _api_keys.get(key, lambda: ApiKey.objects.select_related("user").filter(key=key).first())


def api_key_copy(api_key: ApiKey) -> ApiKey:
    """A request's own copy of a cached key and of its user."""
    mine = copy.copy(api_key)
    mine.user = copy.copy(api_key.user)
    return mine


def api_key_forget(key: str) -> None:
    """Drops one key (revoked here: refused by this process's next request)."""
    _api_keys.evict(lambda cached_key, value: cached_key == key)


def auth_cache_clear() -> None:
    _users.clear()
    _api_keys.clear()


@receiver([post_save, post_delete], sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts.auth_cache.user")
def _user_changed(instance: User, **kwargs: Any) -> None:
    _users.evict(lambda user_id, user: user.pk == instance.pk)
    _api_keys.evict(lambda key, api_key: api_key.user_id == instance.pk)


@receiver([post_save, post_delete], sender=ApiKey, dispatch_uid="accounts.auth_cache.api_key")
def _api_key_changed(instance: ApiKey, **kwargs: Any) -> None:
    api_key_forget(instance.key)
