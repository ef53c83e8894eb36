def init_app(app):
    from enforcement.joint import models  # noqa
    from reports import models as rm  # noqa
