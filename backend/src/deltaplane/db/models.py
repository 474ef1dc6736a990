"""Import every feature area's models so `metadata` is complete (Alembic, tests)."""

from deltaplane.auth import models as _auth_models  # noqa: F401
from deltaplane.db.base import Base
from deltaplane.exchange import models as _exchange_models  # noqa: F401
from deltaplane.strategy import models as _strategy_models  # noqa: F401

metadata = Base.metadata
