// JsonQuote: a JSON string literal for text written by hand-built JSON on
// hot paths (the /score reply, the trace), where a JSON library's document
// would cost an allocation per field. Thread-safe (pure).
#pragma once

#include <string>
#include <string_view>

namespace switchyard {

// `s` with quotes around it and JSON escapes inside.
std::string JsonQuote(std::string_view s);

}  // namespace switchyard
