"""Errors that a user can fix: they name the file or config key and what was expected."""


class UserError(ValueError):
    """Base of all errors caused by input the user gave (config, data, weights)."""


class ConfigError(UserError):
    """A config key holds a value of the wrong type or names an unknown module."""


class DataError(UserError):
    """A data set or image cannot be read as expected."""


class WeightsError(UserError):
    """A weights file is missing or does not fit the model."""
