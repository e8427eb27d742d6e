"""The HTTP API beside the page: ``POST /api/analyze`` with an image (multipart field ``file``;
optional form fields ``face_threshold`` and ``ten_crop``) returns the photo's JSON, the same as
``tools/infer.py --save_results`` writes. Errors are ``{"detail": "..."}`` with a 4xx status:
413 for an upload over the size limit, 400 for a file that is not an image, 422 for bad fields.
"""
from typing import Optional

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from starlette.responses import JSONResponse

from ..errors import ConfigError, DataError
from ..inference.sources import decode_rgb

ANALYZE_PATH = '/api/analyze'


def too_large(limit_bytes):
    return 'the upload is larger than the limit of {:g} MB (--max_upload_mb)'.format(
        limit_bytes / 2 ** 20)


class UploadLimit(object):
    """ASGI middleware: a request to the API whose declared size is over the limit gets a 413
    before its body is read."""

    def __init__(self, app, limit_bytes):
        self.app, self.limit_bytes = app, limit_bytes

    async def __call__(self, scope, receive, send):
        if scope['type'] == 'http' and scope['path'] == ANALYZE_PATH:
            length = dict(scope['headers']).get(b'content-length')
            if length is not None and length.isdigit() and int(length) > self.limit_bytes + 2 ** 16:
                response = JSONResponse({'detail': too_large(self.limit_bytes)}, status_code=413)
                return await response(scope, receive, send)
        await self.app(scope, receive, send)


def api_router(analyzer, limit_bytes):
    """The API's routes over a ``PhotoAnalyzer``."""
    router = APIRouter()

    @router.post(ANALYZE_PATH)
    def analyze(file: UploadFile = File(..., description='an image file'),
                face_threshold: Optional[float] = Form(None, description='0-1; default: the '
                                                       'config\'s'),
                ten_crop: bool = Form(False, description='average ten crops per face')):
        data = file.file.read(limit_bytes + 1)
        if len(data) > limit_bytes:
            raise HTTPException(413, too_large(limit_bytes))
        name = file.filename or 'upload'
        try:
            return analyzer(decode_rgb(data, name), name, face_threshold, ten_crop).record
        except DataError as e:
            raise HTTPException(400, str(e)) from None
        except ConfigError as e:
            raise HTTPException(422, str(e)) from None
    return router
