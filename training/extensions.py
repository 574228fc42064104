"""Flask extensions, created unbound and bound to the app in ``create_app``."""

from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic batch migrations on SQLite predictable.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING)


# Objects keep their loaded values when a transaction commits. A request ends soon after
# its commit, and expiring everything made the redirect or page that follows reload each
# object with a query of its own: on SQLite, inside a write request, one that waits for
# the write lock again. Code that must see rows as they are now reloads them explicitly
# (a locked read with populate_existing, or Session.refresh).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
bootstrap = Bootstrap5()
# No default limits: only password checks are throttled (see auth.views). Counts live in the
# app's database (training/throttle.py) or in Redis (REDIS_URL), so every worker and app server
# shares them.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
