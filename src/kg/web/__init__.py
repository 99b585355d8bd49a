"""The web layer: FastAPI routers mounted by :func:`kg.web.app.create_app`."""
