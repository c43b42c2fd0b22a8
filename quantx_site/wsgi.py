"""WSGI entry point: REST behind gunicorn in the scaled mode (faster than Django under ASGI)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quantx_site.settings")
application = get_wsgi_application()
