"""Log pipeline: tail backend.log into backend_logs, query/summary/export API, retention."""

from deltaplane.logs.controllers import LogsController
from deltaplane.logs.lifecycle import logs_lifespan

__all__ = ["LogsController", "logs_lifespan"]
