#include "dnassm/error.h"

namespace dnassm {

void throw_error(ErrorKind kind, const std::string& message) { throw Error(kind, message); }

}  // namespace dnassm
