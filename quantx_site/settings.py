"""QuantX settings, read from the environment (see README "Configuration").

Defaults give the embedded mode: SQLite, the in-memory channel layer and a local-memory cache,
everything in one process. `DATABASE_URL` switches to PostgreSQL and `REDIS_URL` switches the
channel layer and the cache to Redis (the scaled mode).
"""

import secrets
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from quantx_site.env import env_bool, env_decimal_map, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("QX_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, or (embedded mode) one generated once and kept in var/."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Serve over HTTPS (production): secure cookies, HSTS, redirect. Off for the embedded http demo.
HTTPS = env_bool("QX_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("QX_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("QX_BEHIND_PROXY") else None
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "engine",  # before "channels": its runworker starts the engine eagerly (engine/management)
    "channels",
    "accounts",
    "trading",
    "marketdata",
    "binance_compat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "accounts.rate_headers.RateLimitHeadersMiddleware",  # RateLimit-* from the throttles' own counters
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "quantx_site.middleware.ApiTrailingSlashMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "quantx_site.middleware.UnknownQueryParamsMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "quantx_site.urls"
WSGI_APPLICATION = "quantx_site.wsgi.application"
ASGI_APPLICATION = "quantx_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
        raise ImproperlyConfigured("DATABASE_URL must be a postgres:// URL (SQLite is the default)")
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "quantx.sqlite3")),
            "OPTIONS": {
                # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at
                # BEGIN so two writers queue on the busy timeout instead of failing mid-transaction.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels and cache ---------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "engine.client.layers.BatchRedisChannelLayer",
            # redis-py 8 times out an idle receive() after 5 s unless socket_timeout is None.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                "capacity": env_int("CHANNEL_CAPACITY", 1000, minimum=1),
                "expiry": 60,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "qx",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "engine.client.layers.BatchInMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "qx"}}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Key that encrypts API key secrets at rest (Fernet). Derived from SECRET_KEY unless given.
API_KEY_ENCRYPTION_KEY = env_str("QX_API_KEY_ENCRYPTION_KEY")
API_KEY_MAX_RECV_WINDOW_MS = 60_000
API_KEY_DEFAULT_RECV_WINDOW_MS = 5_000
# Each process keeps JWT users and API keys it has seen for this long (accounts/auth_cache.py): a user
# deactivated, deleted or with a new password, or a key revoked, in ANOTHER process is refused after
# at most this many seconds (at once in the process that made the change). 0: no cache.
AUTH_CACHE_SECONDS = env_int("QX_AUTH_CACHE_SECONDS", 10, minimum=0)
# The Binance-compatible facade (binance_compat): request weight per client address and minute.
BINANCE_WEIGHT_LIMIT_1M = env_int("QX_BINANCE_WEIGHT_1M", 6000, minimum=1)
API_KEYS_MAX_PER_USER = env_int("QX_API_KEYS_MAX_PER_USER", 20, minimum=1)

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "accounts.authentication.CachedJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["quantx_site.parsers.SafeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "quantx_site.errors.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login": env_str("QX_THROTTLE_LOGIN", "20/min"),
        "register": env_str("QX_THROTTLE_REGISTER", "10/hour"),
        "api_key_create": env_str("QX_THROTTLE_API_KEY_CREATE", "10/hour"),
        "order_place": env_str("QX_THROTTLE_ORDER_PLACE", "6000/min"),
        "order_test": env_str("QX_THROTTLE_ORDER_TEST", "6000/min"),  # test orders (what-if), own counter
        "withdrawal_request": env_str("QX_THROTTLE_WITHDRAWAL_REQUEST", "60/min"),
    },
    "COERCE_DECIMAL_TO_STRING": True,
    "STRICT_JSON": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Throttles identify anonymous clients by address: trust X-Forwarded-For only behind our proxy
    # (its last hop), else anyone could dodge the login limit by sending a made-up header.
    "NUM_PROXIES": 1 if env_bool("QX_BEHIND_PROXY") else 0,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("QX_JWT_ACCESS_MINUTES", 15, minimum=1)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("QX_JWT_REFRESH_DAYS", 1, minimum=1)),
    "UPDATE_LAST_LOGIN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "QuantX API",
    "DESCRIPTION": "REST API of the QuantX exchange. Errors: see docs/errors.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "quantx_site.openapi.schema_make_true",
        "accounts.rate_headers.schema_rate_limit_headers",
    ],
    # Several fields are called "status" with different choices: name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "trading.models.OrderStatus",
        "InstrumentStatusEnum": "trading.models.InstrumentStatus",
        "OrderListStatusEnum": "trading.models.OrderListStatus",
        "OcoLegTypeEnum": "trading.order_list_serializers.LEG_TYPES",
        "TifEnum": "trading.models.TimeInForce",
    },
}

# --- Static files, i18n, logging --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Refused requests (4xx) are answered with a coded error; logging each one as a warning floods
        # the terminal of a busy demo (the simulator's quotes that filled meanwhile). 5xx always show.
        "django.request": {"level": "WARNING" if env_bool("QX_LOG_REFUSALS", False) else "ERROR"},
    },
}

# --- QuantX ---------------------------------------------------------------------------------
# The engine worker runs inside the web process (embedded) unless Redis carries commands to a
# separate `manage.py runworker engine` process.
ENGINE_EMBEDDED = env_bool("QX_ENGINE_EMBEDDED", not REDIS_URL)
ENGINE_MAX_BATCH = env_int("QX_ENGINE_MAX_BATCH", 500, minimum=1)
ENGINE_FEE_USERNAME = "quantx-fees"
# Factories of the engine worker's batch hooks (engine.worker.hooks): market data registers here.
ENGINE_BATCH_HOOKS = [
    "marketdata.publisher.MarketDataHook",
    "marketdata.withdrawal_stream.WithdrawalStreamHook",
]
# Longest a process answers from its copy of the instruments without hearing of a change
# (trading/selectors.py; engine replies and local saves drop it sooner). 0: no cache.
INSTRUMENT_CACHE_SECONDS = env_int("QX_INSTRUMENT_CACHE_SECONDS", 5, minimum=0)
# Paper-trading faucet (POST /api/v1/faucet/): on by default in embedded mode only.
FAUCET_ENABLED = env_bool("QX_FAUCET", not DATABASE_URL)
# Caps per asset, per call and per UTC day (from the ledger); an asset not listed is not offered.
# Env format: QX_FAUCET_MAX_PER_CALL="USD=10000,BTC=1,ETH=10".
FAUCET_MAX_PER_CALL = env_decimal_map(
    "QX_FAUCET_MAX_PER_CALL", {"USD": Decimal(10_000), "BTC": Decimal(1), "ETH": Decimal(10)}
)
FAUCET_MAX_PER_DAY = env_decimal_map(
    "QX_FAUCET_MAX_PER_DAY", {"USD": Decimal(50_000), "BTC": Decimal(5), "ETH": Decimal(50)}
)
if set(FAUCET_MAX_PER_CALL) != set(FAUCET_MAX_PER_DAY):
    raise ImproperlyConfigured("QX_FAUCET_MAX_PER_CALL and QX_FAUCET_MAX_PER_DAY must list the same assets")
# Embedded demo only: complete PENDING withdrawals this many seconds after their request, as if staff
# approved them (accounts.withdrawal_autocomplete). 0 (the default): only staff decide.
WITHDRAWAL_AUTO_COMPLETE_SECONDS = env_int("QX_WITHDRAWAL_AUTO_COMPLETE_SECONDS", 0, minimum=0)


# Dead-man's switch, cancel on disconnect (docs/websocket.md): the grace after the user's last such
# socket is gone; how long a socket's lease lives unless its web process renews it (every third of
# that); how long such a socket may stay silent (no frame from the client) before it is closed.
CANCEL_ON_DISCONNECT_GRACE_MS = env_int("QX_CANCEL_ON_DISCONNECT_GRACE_MS", 5_000, minimum=0)
CANCEL_ON_DISCONNECT_LEASE_MS = env_int("QX_CANCEL_ON_DISCONNECT_LEASE_MS", 15_000, minimum=300)
CANCEL_ON_DISCONNECT_SILENCE_MS = env_int("QX_CANCEL_ON_DISCONNECT_SILENCE_MS", 15_000, minimum=100)
