import sys

from marimo_tui.launch import main

if __name__ == "__main__":
    sys.exit(main())
