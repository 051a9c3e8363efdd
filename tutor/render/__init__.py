"""A Verdict as rich renderables, for both front ends: the CLI prints them, the app's results pane
shows them. Rich only: nothing here imports Textual, torch or either front end.

    render_verdict(verdict, name_exercise=..., show_timing=..., follow_up=..., marked_line=...)

Tensors as pictures (pictures.py: `Picture`, `PictureComparison`, `is_image_like`), matrices as
heatmaps (heatmap.py: `Heatmap`) and curves as line plots (curves.py: `CurvePlot`) are renderables
of their own, drawn by the same rules (numpy only; colour or characters chosen at render time).

Every layout decision that depends on the width (how much of a check's name to show, expected and
yours side by side or stacked) is taken at render time, so it follows a resized terminal or pane.

The verdict renderer (and numpy, for the pictures) is imported on first use, so a module that needs
only a light part of this package (safe.py, for the app's live view) does not load it all.
"""

__all__ = ["STATUS_STYLE", "headline", "render_verdict"]


def __getattr__(name: str):
    if name in __all__:
        from tutor.render import verdict

        return getattr(verdict, name)
    raise AttributeError(f"module 'tutor.render' has no attribute '{name}'")
