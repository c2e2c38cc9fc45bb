"""``python -m bench``: render the template, measure, print the Markdown tables."""

from bench.run import main

raise SystemExit(main())
