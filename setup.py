"""ppdet-emotion: face detection plus facial-expression classification for PaddleDetection."""
from setuptools import find_packages, setup

# paddledet 2.6.0 pins numpy<1.24 and opencv-python<=4.6.0 and asks for the empty `sklearn`
# placeholder; scikit-learn itself must be installed in the same resolve, or a later install
# drags numpy to 2.x and breaks cv2 and ppdet. These pins are the ones that resolve together.
INSTALL_REQUIRES = [
    'paddledet==2.6.0',
    'numpy>=1.21,<1.24',
    'opencv-python<=4.6.0',
    'scikit-learn<1.8',
    'scipy',
    'matplotlib',
    'Pillow',
    'PyYAML',
    'typeguard>=4',
]

EXTRAS_REQUIRE = {
    # Paddle is the user's choice: the CPU build 3.x, or PyPI's GPU build (which stops at 2.6.2).
    'cpu': ['paddlepaddle>=3.0,<3.4'],
    'gpu': ['paddlepaddle-gpu==2.6.2'],
    'paddle26': ['paddlepaddle==2.6.2'],
    # ONNX export (tools/export_model.py --onnx) and ONNX Runtime (tools/predict_exported.py);
    # paddle2onnx 2.x converts Paddle 3's PIR models and pins onnx<=1.17.
    'onnx': ['paddle2onnx>=2.0,<2.2', 'onnxruntime'],
    # The web app (tools/webui.py): Gradio, with the FastAPI and uvicorn it brings for the API.
    'ui': ['gradio>=6.31,<7'],
    # pytest-xdist: a worker per core; wheel: the packaging test builds one; playwright: the web
    # app's browser tests drive the system's Chromium with it (it never downloads a browser)
    'test': ['pytest', 'pytest-xdist', 'wheel', 'playwright>=1.50'],
    # Only to convert the shipped detectors' weights (MediaPipe .tflite, CenterFace .onnx) and
    # check the ports against TFLite and ONNX Runtime.
    'dev': ['tflite', 'ai-edge-litert', 'onnx', 'onnxruntime'],
}

setup(
    name='ppdet-emotion',
    version='0.1.0',
    description=__doc__,
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['ppdet_emotion', 'ppdet_emotion.*']),
    # the shipped configs, weights and their licences travel with the package
    package_data={'ppdet_emotion': ['configs/**/*.yml', 'weights/**/*']},
    entry_points={'console_scripts': ['ppdet-emotion = ppdet_emotion.__main__:main']},
    python_requires='>=3.8',
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
    license='Apache-2.0',
)
