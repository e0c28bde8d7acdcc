from __future__ import annotations

from typing import Any

from strawberry.types import Info as StrawberryInfo

from teslasync.context import Context

Info = StrawberryInfo[Context, Any]
