"""`python -m bot.cli`: the same as `report-bot`."""

import sys

from bot.cli.main import main

sys.exit(main())
