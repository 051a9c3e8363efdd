"""`ptref-tutor serve`: the app in a browser, through textual-serve (the Textual project's own server).

Each browser tab gets its own `ptref-tutor app` process, with its own PyTorch worker and sandbox.
This package never imports Textual: textual-serve starts the app as a subprocess and relays bytes.
"""
