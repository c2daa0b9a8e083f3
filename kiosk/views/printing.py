"""Screens for this area (filled in by its own issue)."""

from flask import Blueprint

bp = Blueprint("printing", __name__)
