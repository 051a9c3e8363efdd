"""The app's widgets: lesson tree, explanation, code editor, results."""
