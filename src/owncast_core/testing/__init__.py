"""Test support shipped with the library: in-memory fakes of every port (``fakes``) and the
contract suites (``contracts``) that the fakes, our adapters and third-party adapters all pass."""
