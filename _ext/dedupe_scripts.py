"""Drop repeated <script> tags from each page (a local Sphinx extension of the book).

Under Sphinx 7.4, inline scripts that extensions register after the builder starts (those of
sphinx-thebe and sphinx-togglebutton) are emitted twice: once with filename None and once with
"". Twice `const THEBE_JS_URL = ...` is a SyntaxError in the browser, which the book's browser test
(tests/browser/test_pages.py) reports as a page error. Keeping the first of each identical script
removes it without touching the extensions.
"""


def _dedupe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        attributes = tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items()))
        key = (str(getattr(script, "filename", script) or ""), attributes)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    app.connect("html-page-context", _dedupe, priority=900)  # after the extensions add theirs
    return {"parallel_read_safe": True, "parallel_write_safe": True}
