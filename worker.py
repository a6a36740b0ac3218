"""``python worker.py``: the background worker, as the checkout's Procfile starts it.

It lives in ``app.worker`` so that an installed hub runs the same code as ``pbhub worker``.
"""

import sys

from app.worker import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
