"""``python -m seminal.report FOLDER [-o report.html]``: the HTML report of runs made earlier."""

from seminal.report.html import main

raise SystemExit(main())
