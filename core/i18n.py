"""Languages: Simplified Chinese by default, English selectable; locale-aware formatting."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from flask import current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale

from extensions import babel


def select_locale() -> str:
    if not has_request_context():  # CLI and scheduler: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang") or request.cookies.get("lang")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def money(value) -> str:
    """Yuan in the current locale: ``¥500.00``; empty for None."""
    if value is None:
        return ""
    return format_currency(Decimal(value), "CNY", locale=str(get_locale()))


def number(value) -> str:
    return "" if value is None else format_decimal(value, locale=str(get_locale()))


def datetime_local(value: dt.datetime | None, fmt: str = "medium") -> str:
    return "" if value is None else format_datetime(value, fmt)


def date_local(value: dt.date | None, fmt: str = "medium") -> str:
    return "" if value is None else format_date(value, fmt)


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(
        money=money, number=number, datetime=datetime_local, date=date_local
    )

    @app.context_processor
    def language_context():
        return {"languages": app.config["LANGUAGES"], "current_locale": str(get_locale())}
