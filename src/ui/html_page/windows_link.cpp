// litehtml-sys 0.2.5's C wrapper (lh_document_add_stylesheet) calls
// litehtml::css::parse_css_stylesheet<const char*>, an instantiation litehtml never makes (the
// template is defined in stylesheet.cpp and instantiated there for std::string and token vectors
// only). ELF linkers drop the unused wrapper function; MinGW's linker wants the symbol. Tayori
// never calls that wrapper (litehtml::Document::add_stylesheet): every style comes with the
// message. This definition exists only to link tayori.exe and must stay unused; build.rs compiles
// it for Windows only.
#include <memory>
#include <string>

namespace litehtml {
class document;
class media_query_list_list;
class css {
public:
    template <class Input>
    void parse_css_stylesheet(const Input& input, std::string baseurl,
                              std::shared_ptr<document> doc,
                              std::shared_ptr<media_query_list_list> media, bool top_level);
};

template <>
void css::parse_css_stylesheet<const char*>(const char* const&, std::string,
                                            std::shared_ptr<document>,
                                            std::shared_ptr<media_query_list_list>, bool) {}
}  // namespace litehtml
