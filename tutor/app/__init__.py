"""The Textual front end. Only this package imports Textual; nothing below it imports this package.

Entry point: `tutor.app.launch.run_app(args)` (called by `ptref-tutor` without a command).
"""
