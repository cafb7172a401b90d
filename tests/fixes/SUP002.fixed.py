# fortress-fix: select=SUP002 unsafe
# `# noqa CODE` names its codes but silences everything: the colon makes it
# silence only those. Without codes nothing can be written for it.
import os  # noqa: F401
import sys  # NOQA: E501,W291
import json  # noqa
import re  # noqa:
