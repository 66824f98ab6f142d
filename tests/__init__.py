"""The test suite. Set here, before anything imports the app's settings:"""

import os

# Each test that shows a closed Kiezen round on the console would start rendering a PDF beside
# it (tens of seconds of CPU over the suite, on the cores the tests share); the tests of that
# rendering ahead turn it on for themselves (tests/exports/test_plan_pdf_kept.py).
os.environ.setdefault("PDF_AHEAD", "false")
