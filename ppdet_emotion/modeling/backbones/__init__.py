from . import distresnet, resnet, vgg  # noqa: F401
