import sys

from app.chaos.runner import main

sys.exit(main())
