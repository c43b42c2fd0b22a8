"""Trader pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from trading.selectors import instrument_list


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "trading/home.html", {"instruments": instrument_list()})
