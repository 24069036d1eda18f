"""The floor of the picker's open time: prompt_toolkit alone, with the picker's layout and keys (no letme).

The same three windows as letme_shell/picker.py (a query line with its prompt, 12 rows, the footer), the
same Esc and Ctrl-C bindings, escape timeout and gc.freeze(), on the terminal; exits 130 on Esc or Ctrl-C. What letme's
picker takes beyond this is letme's own: the CLI, the config, reading the catalog and the history, ranking.
"""

import gc
import sys

from prompt_toolkit.application import Application
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.layout import HSplit, Layout, Window
from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl
from prompt_toolkit.layout.processors import BeforeInput

rows = "\n".join(f"  account-{i:05d}  {100000000000 + i:012d}  sample account" for i in range(12))
keys = KeyBindings()


@keys.add("escape", eager=True)
@keys.add("c-c")
def _cancel(event):  # type: ignore[no-untyped-def]
    event.app.exit(result=None)


query = Buffer(multiline=False)
app: Application[None] = Application(
    layout=Layout(HSplit([
        Window(BufferControl(buffer=query, input_processors=[BeforeInput("Switch to account: ")]), height=1),
        Window(FormattedTextControl(rows), height=12),
        Window(FormattedTextControl("  12/12 accounts · ↑↓ move · Enter picks · Esc cancels"), height=1),
    ]), focused_element=query),
    key_bindings=keys, full_screen=False, erase_when_done=True)
app.ttimeoutlen = 0.02
gc.freeze()  # as the picker does before it runs
app.run()
sys.exit(130)
