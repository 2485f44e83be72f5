"""The native module of sfd (Rust, pyo3). Use the typed API in `sfd`."""

from typing import Any, List, Optional, final


__all__ = [
    "__version__",
    "validate_drama",
    "Studio",
    "Client",
    "SfdError",
    "NotFoundError",
    "ConflictError",
    "ValidationError",
    "LlmError",
    "StorageError",
]

__version__: str

def validate_drama(json: str) -> List[str]: ...
@final
class Studio:
    def __new__(cls, storage: str = "./data", llm: str = "env") -> "Studio": ...
    def call(self, op: str, args: str) -> str: ...
    def call_async(self, op: str, args: str) -> Any: ...

@final
class Client:
    def __new__(cls, base_url: str, api_key: Optional[str] = None, timeout: float = 30.0) -> "Client": ...
    def call(self, op: str, args: str) -> str: ...
    def call_async(self, op: str, args: str) -> Any: ...

class SfdError(Exception): ...
class NotFoundError(SfdError): ...
class ConflictError(SfdError): ...

class ValidationError(SfdError):
    problems: List[str]

class LlmError(SfdError): ...
class StorageError(SfdError): ...
