"""`report-bot serve` (placeholder until the GitHub App core lands)."""

from __future__ import annotations

import argparse

from bot.cli import BadInput


def run_serve(args: argparse.Namespace) -> int:
    raise BadInput("not available yet")
