"""The FastAPI app of the double: routers behind the middleware, errors in GitHub's JSON shapes."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from . import routes_apps, routes_checks, routes_graphql, routes_issues, routes_repos, routes_stats
from .context import Context
from .errors import ApiError
from .middleware import DoubleMiddleware


def create_app(ctx: Context) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.ctx = ctx

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        message = "Not Found" if exc.status_code == 404 else str(exc.detail)
        return JSONResponse(ApiError(exc.status_code, message).body(), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(ApiError(404, "Not Found").body(), status_code=404)

    # order matters: /commits/{ref}/check-runs must win over /commits/{ref:path}
    for module in (routes_apps, routes_checks, routes_stats, routes_repos, routes_issues, routes_graphql):
        app.include_router(module.router)
    app.add_middleware(DoubleMiddleware, ctx=ctx)
    return app
