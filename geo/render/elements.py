"""The folium elements of ZoneWatch's maps. Each puts one line of script on the page that
hands JSON to the browser code (``window.zw.<kind>(map, payload)``, see
geo/static/zonewatch/), which Leaflet and that code's files, served by the app, precede.

branca renders an element's script and then compiles the result as a Jinja template
(``Element(script)``); with the browser code and a zone layer's GeoJSON in it, that compile
was most of a Map rerun's Python time. These elements put their rendered script on the page
as text instead (:class:`_NoCompile`): their payload is JSON, never a template.
"""

from __future__ import annotations

import folium
from branca.element import Element
from folium.elements import ElementAddToElement
from folium.map import FitBounds, Layer
from folium.plugins import Draw
from jinja2 import Template
from markupsafe import Markup

from geo.assets import (
    LEAFLET_CSS,
    LEAFLET_DRAW_CSS,
    LEAFLET_DRAW_JS,
    LEAFLET_JS,
    ZONEWATCH_CSS,
    ZONEWATCH_JS,
)
from geo.render.contract import browser_config
from geo.render.payloads import js_literal


class _Text(Element):
    """Text put on the page as it is (not compiled as a template)."""

    _template = Template("{{ this.text }}")

    def __init__(self, text: str):
        super().__init__()
        self.text = Markup(text)


class _NoCompile(folium.MacroElement):
    """``MacroElement.render`` minus the compile of what each macro gives: the header,
    html and script parts go on the page as text. A base of every element of our maps
    (before ``MacroElement`` in their order, so that folium's own ``render`` steps still
    run first)."""

    def render(self, **kwargs):
        figure = self.get_root()
        module = self._template.module
        for part in ("header", "html", "script"):
            macro = module.__dict__.get(part)
            if macro is not None:
                text = _Text(macro(self, kwargs))
                getattr(figure, part).add_child(text, name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class _AddTo(ElementAddToElement, _NoCompile):
    pass


class _Layer(Layer, _NoCompile):
    """folium's ``Layer`` that adds itself to its parent without a compile."""

    def render(self, **kwargs):
        if self.show:
            self.add_child(
                _AddTo(element_name=self.get_name(), element_parent_name=self._parent.get_name()),
                name=self.get_name() + "_add",
            )
        _NoCompile.render(self, **kwargs)


def _literal(payload: object) -> Markup:
    """A payload as script-safe JSON (already made: kept as it is)."""
    return payload if isinstance(payload, Markup) else js_literal(payload)


class _FitBounds(FitBounds, _NoCompile):
    """The view a map opens on, set at once: Leaflet would otherwise animate the pan from
    the map's starting centre (a quarter of a second, after which the view is reported and
    the labels placed again)."""

    def __init__(self, bounds, **options):
        super().__init__(bounds, **options)
        self.options["animate"] = False


class OfflineMap(folium.Map, _NoCompile):
    """A folium map that loads Leaflet and ZoneWatch's browser code from the app."""

    default_js = [("leaflet", LEAFLET_JS), *ZONEWATCH_JS]
    default_css = [("leaflet_css", LEAFLET_CSS), *ZONEWATCH_CSS]

    def fit_bounds(self, bounds, **options) -> None:
        self.add_child(_FitBounds(bounds, **options))


class _Script(_NoCompile):
    """One call of the browser code with a JSON payload: ``window.zw.<call>(payload)``."""

    _call = ""
    _template = Template(
        "{% macro script(this, kwargs) %}window.zw.{{ this._call }}({{ this.payload }});"
        "{% endmacro %}"
    )

    def __init__(self, payload: object):
        super().__init__()
        self._name = "ZoneWatch" + self._call.title()
        self.payload = _literal(payload)


class Config(_Script):
    """What the browser code reads from Python (:func:`geo.render.contract.browser_config`);
    first in every map's script."""

    _call = "configure"

    def __init__(self):
        super().__init__(browser_config())


class EventViewScript(_Script):
    """What the event layer shows for the current view (see :mod:`geo.aggregate`), sent
    on its own through streamlit-folium's ``feature_group_to_add`` so that a pan, a zoom
    or a filter change replaces only this, never the map."""

    _call = "eventView"


class _OnMap(_Script):
    """A call of the browser code with the map and a JSON payload:
    ``window.zw.<call>(map, payload)``."""

    _template = Template(
        "{% macro script(this, kwargs) %}window.zw.{{ this._call }}("
        "{{ this._parent.get_name() }}, {{ this.payload }});{% endmacro %}"
    )


class Legend(_OnMap):
    """A legend control; its entries cross into the page as JSON text."""

    _call = "legend"


class _DataLayer(_Layer):
    """A Leaflet layer built in the browser from JSON by a ZoneWatch script."""

    _js_kind = ""
    _template = Template(
        "{% macro script(this, kwargs) %}var {{ this.get_name() }} = window.zw."
        "{{ this._js_kind }}({{ this._parent.get_name() }}, {{ this.payload }});"
        "{% endmacro %}"
    )

    def __init__(
        self,
        name: str,
        payload: object,
        overlay: bool = True,
        show: bool = True,
        control: bool = True,
    ):
        super().__init__(name=name, overlay=overlay, control=control, show=show)
        self._name = "ZoneWatchLayer"
        self.payload = _literal(payload)


class ZoneLayer(_DataLayer):
    _js_kind = "zones"


class PlaceLayer(_DataLayer):
    _js_kind = "places"


class EventLayer(_DataLayer):
    _js_kind = "events"


class LiveEventLayer(_DataLayer):
    """The Map page's event layer: empty when built; :class:`EventViewScript` fills it."""

    _js_kind = "eventLayer"


class AdminLayer(_DataLayer):
    _js_kind = "admin"


class OutlineLayer(_DataLayer):
    _js_kind = "outline"


class ShapeLayer(_DataLayer):
    """Plain labelled shapes (previews and diffs): colour, dash and fill per feature."""

    _js_kind = "shapes"


class LayerControl(folium.LayerControl, _NoCompile):
    pass


class EventGroup(folium.FeatureGroup, _NoCompile):
    """The feature group streamlit-folium adds the event view with."""

    def render(self, **kwargs):
        _Layer.render(self, **kwargs)


class OfflineDraw(Draw):
    """folium's Draw plugin with Leaflet.draw served by the app (never a CDN)."""

    default_js = [("leaflet_draw_js", LEAFLET_DRAW_JS)]
    default_css = [("leaflet_draw_css", LEAFLET_DRAW_CSS)]


class ShareView(_NoCompile):
    """Keeps the map's centre, zoom and hidden layers in the page's address and restores
    them when the map opens: a copied link shows the same map, and a filter change (which
    rebuilds the map) keeps the user's pan and zoom. ``overlays`` maps a short name used in
    the address to the layer. The base map is never taken from a link (see zw.shareView)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.zw.shareView({{ this._parent.get_name() }},
          { {%- for k, layer in this.overlays.items() %}{{ k|tojson }}: {{ layer.get_name() }},
            {%- endfor %} });
        {% endmacro %}
        """
    )

    def __init__(self, overlays: dict):
        super().__init__()
        self._name = "ZoneWatchShareView"
        self.overlays = overlays
