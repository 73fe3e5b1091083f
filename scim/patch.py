"""SCIM documents: a resource's attributes as a dict, and PATCH operations on them.

A *document* holds a resource's attributes under their schema names (the
enterprise extension's under its URN). Incoming bodies are read into one
(``document_from_body``: attribute names in any letter case, dotted or
URN-qualified), and PATCH operations (RFC 7644, section 3.5.2) change one in
place (``apply``); the mapping in ``scim.resources`` then reads the portal's
fields from it. So POST, PUT and PATCH share one reading of values.

Identity providers' habits accepted here: operation names in any case
(``Replace``), an ``add``/``replace`` without a path whose value names
attributes by path (``{"name.givenName": "Ann"}``), Entra ID's removal of
members by a value list on the path ``members``, and a value path on a
multi-valued attribute with no matching value creating one
(``phoneNumbers[type eq "work"].value``).
"""

from typing import Any

from scim2_models import Path
from scim2_models.exceptions import SCIMException
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from scim import schema
from scim.errors import ScimError

READ_ONLY = {"id", "meta", "schemas", "groups"}


class Target:
    """Where a path points in a document: the holder, the attribute, and what in it."""

    def __init__(
        self,
        holder: str | None,
        attribute: schema.Attribute | None,
        sub: str | None,
        val_filter: FilterNode | None,
    ) -> None:
        self.holder = holder  # None for the core schema, else the extension's URN
        self.attribute = attribute
        self.sub = sub
        self.val_filter = val_filter


class Document:
    """A resource type's attribute names, and the document operations on them."""

    def __init__(self, resource_type: schema.ResourceType) -> None:
        self.resource_type = resource_type
        self.core = resource_type.schema
        self.extensions = {e.id.lower(): e for e in resource_type.extensions}

    # Paths ------------------------------------------------------------------------

    def _parse(self, text: str) -> AttrPath | ValuePath:
        try:
            node = Path(text).ast
        except (SCIMException, ValueError) as error:
            raise ScimError(
                400, "invalidPath", f"The path {text!r} does not parse: {error}"
            ) from None
        if node is None:
            raise ScimError(400, "invalidPath", f"The path {text!r} names no attribute.")
        return node

    def target(self, text: str) -> Target | None:
        """The target of path ``text``; None for an attribute the portal does not keep."""
        node = self._parse(text)
        if isinstance(node, ValuePath):
            attr_path, val_filter, sub = node.attr_path, node.val_filter, node.sub_attr
            if attr_path.sub_attr:
                raise ScimError(
                    400, "invalidPath", f"The path {text!r} selects inside a sub-attribute."
                )
        else:
            attr_path, val_filter, sub = node, None, node.sub_attr
        uri = (attr_path.uri or "").lower()
        whole = f"{uri}:{attr_path.attr.lower()}" if uri else ""
        if whole in self.extensions:
            if val_filter is not None or sub is not None:
                raise ScimError(400, "invalidPath", f"The path {text!r} selects in an extension.")
            return Target(self.extensions[whole].id, None, None, None)
        if uri and uri != self.core.id.lower() and uri not in self.extensions:
            raise ScimError(400, "invalidPath", f"Unknown schema in {text!r}.")
        name = attr_path.attr.lower()
        if name in READ_ONLY:
            raise ScimError(400, "mutability", f"{attr_path.attr} can't be changed.")
        if uri in self.extensions:
            schemas = [self.extensions[uri]]
        elif uri:
            schemas = [self.core]
        else:
            schemas = [self.core, *self.extensions.values()]
        for candidate in schemas:
            attribute = (
                schema.EXTERNAL_ID
                if name == "externalid" and candidate is self.core
                else candidate.attribute(name)
            )
            if attribute is None:
                continue
            holder = None if candidate is self.core else candidate.id
            if sub is not None:
                sub_attribute = attribute.sub(sub)
                if sub_attribute is None and f"{name}.{sub.lower()}" in candidate.not_kept:
                    return None  # a standard part the portal does not keep (name.formatted)
                if sub_attribute is None:
                    raise ScimError(
                        400, "invalidPath", f"{attribute.name} has no sub-attribute {sub}."
                    )
                sub = sub_attribute.name
            if val_filter is not None and not attribute.multi_valued:
                raise ScimError(400, "invalidPath", f"{attribute.name} has no values to select.")
            return Target(holder, attribute, sub, val_filter)
        if any(name in candidate.not_kept for candidate in schemas):
            return None
        raise ScimError(400, "invalidPath", f"Unknown attribute in {text!r}.")

    def _holder(self, document: dict, target: Target) -> dict:
        if target.holder is None:
            return document
        return document.setdefault(target.holder, {})

    # Reading a body ---------------------------------------------------------------

    def from_body(self, body: dict) -> dict:
        """A document of the attributes ``body`` gives (a POST's or a PUT's)."""
        document: dict = {}
        self._set_all(document, body, "replace")
        return document

    def _set_all(self, document: dict, values: Any, op: str) -> None:
        """``add``/``replace`` without a path: each key of ``values`` by its own path."""
        if not isinstance(values, dict):
            raise ScimError(
                400, "invalidSyntax", "Without a path, the value is an object of attributes."
            )
        for key, value in values.items():
            if not isinstance(key, str):
                continue
            lowered = key.lower()
            if lowered in READ_ONLY:
                continue
            if lowered in self.extensions:
                if not isinstance(value, dict):
                    raise ScimError(400, "invalidValue", f"{key} is an object of attributes.")
                for sub_key, sub_value in value.items():
                    self._apply_path(
                        document, op, f"{self.extensions[lowered].id}:{sub_key}", sub_value
                    )
                continue
            known = (self.core.id.lower(), *self.extensions)
            if lowered.startswith("urn:") and not lowered.startswith(tuple(f"{u}:" for u in known)):
                continue  # an extension this resource type does not have: not kept
            self._apply_path(document, op, key, value)

    # PATCH ------------------------------------------------------------------------

    def apply(self, document: dict, operations: Any) -> None:
        """Apply a PatchOp's ``Operations`` to ``document``, in order."""
        if not isinstance(operations, list) or not operations:
            raise ScimError(400, "invalidSyntax", "Operations is a list of operations.")
        for operation in operations:
            if not isinstance(operation, dict):
                raise ScimError(400, "invalidSyntax", "An operation is an object.")
            fields = {str(k).lower(): v for k, v in operation.items()}
            op = str(fields.get("op", "")).lower()
            if op not in ("add", "replace", "remove"):
                raise ScimError(400, "invalidSyntax", "op is add, replace or remove.")
            path = fields.get("path")
            if path is not None and not isinstance(path, str):
                raise ScimError(400, "invalidPath", "path is a string.")
            if op != "remove" and "value" not in fields:
                raise ScimError(400, "invalidSyntax", f"{op} needs a value.")
            if not path:
                if op == "remove":
                    raise ScimError(400, "noTarget", "remove needs a path.")
                self._set_all(document, fields["value"], op)
            else:
                self._apply_path(document, op, path, fields.get("value"))

    def _apply_path(self, document: dict, op: str, path: str, value: Any) -> None:
        target = self.target(path)
        if target is None:
            return  # not kept
        if target.attribute is None:  # the whole extension, e.g. the enterprise user's
            if op != "add":
                document.pop(target.holder, None)
            if op != "remove":
                if not isinstance(value, dict):
                    raise ScimError(400, "invalidValue", f"{path} is an object of attributes.")
                for key, item in value.items():
                    if str(key).lower() not in READ_ONLY:
                        self._apply_path(document, op, f"{target.holder}:{key}", item)
            return
        holder = self._holder(document, target)
        attribute = target.attribute
        name = attribute.name
        if op == "remove":
            self._remove(holder, target, value)
            return
        if target.val_filter is not None:
            self._set_selected(holder, target, value, op)
            return
        if attribute.multi_valued:
            values = value if isinstance(value, list) else [value]
            if target.sub is not None:
                existing = holder.get(name) or [{}]
                for element in existing:
                    _require_object(element, name)
                    element[target.sub] = value
                holder[name] = existing
            elif op == "add":
                merged = list(holder.get(name) or [])
                for item in values:
                    if item not in merged:
                        merged.append(item)
                holder[name] = merged
            else:
                holder[name] = values
            return
        if attribute.type == "complex":
            if target.sub is not None:
                current = holder.get(name)
                if not isinstance(current, dict):
                    current = {}
                current[target.sub] = value
                holder[name] = current
            elif op == "add" and isinstance(value, dict) and isinstance(holder.get(name), dict):
                holder[name] = {**holder[name], **_canonical_subs(attribute, value)}
            else:
                holder[name] = (
                    _canonical_subs(attribute, value) if isinstance(value, dict) else value
                )
            return
        if target.sub is not None:
            raise ScimError(400, "invalidPath", f"{name} has no sub-attributes.")
        holder[name] = value

    def _set_selected(self, holder: dict, target: Target, value: Any, op: str) -> None:
        name = target.attribute.name
        elements = holder.get(name) or []
        matched = [
            e
            for e in elements
            if isinstance(e, dict) and _matches(target.val_filter, e, target.attribute)
        ]
        if not matched:
            created = _element_from_filter(target.val_filter, target.attribute)
            if created is None:
                raise ScimError(400, "noTarget", f"No value of {name} matches the filter.")
            elements = [*elements, created]
            matched = [created]
        for element in matched:
            if target.sub is not None:
                element[target.sub] = value
            elif isinstance(value, dict):
                element.update(_canonical_subs(target.attribute, value))
            else:
                raise ScimError(400, "invalidValue", f"A value of {name} is an object.")
        holder[name] = elements

    def _remove(self, holder: dict, target: Target, value: Any) -> None:
        attribute = target.attribute
        name = attribute.name
        if target.val_filter is None and target.sub is None:
            if attribute.required:
                raise ScimError(400, "mutability", f"{name} is required.")
            if attribute.multi_valued and isinstance(value, list) and value:
                # Entra ID: {"op": "remove", "path": "members", "value": [{"value": "id"}]}
                gone = [item for item in value if isinstance(item, dict)]
                holder[name] = [e for e in holder.get(name) or [] if not _listed(e, gone)]
            else:
                holder.pop(name, None)
            return
        if target.val_filter is None:
            current = holder.get(name)
            if isinstance(current, dict):
                current.pop(target.sub, None)
            elif isinstance(current, list):
                for element in current:
                    if isinstance(element, dict):
                        element.pop(target.sub, None)
            return
        elements = holder.get(name) or []
        kept = []
        for element in elements:
            if isinstance(element, dict) and _matches(target.val_filter, element, attribute):
                if target.sub is not None:
                    element.pop(target.sub, None)
                    kept.append(element)
            else:
                kept.append(element)
        holder[name] = kept


def _require_object(element: Any, name: str) -> None:
    if not isinstance(element, dict):
        raise ScimError(400, "invalidValue", f"A value of {name} is an object.")


def _canonical_subs(attribute: schema.Attribute, value: dict) -> dict:
    """``value``'s keys under the sub-attributes' own names (names match in any case)."""
    result = {}
    for key, item in value.items():
        sub = attribute.sub(str(key))
        result[sub.name if sub else key] = item
    return result


def _listed(element: Any, gone: list[dict]) -> bool:
    if not isinstance(element, dict):
        return False
    value = element.get("value")
    return any(str(item.get("value")) == str(value) for item in gone if "value" in item)


def _element_value(element: dict, name: str) -> Any:
    lowered = name.lower()
    return next((v for k, v in element.items() if str(k).lower() == lowered), None)


def _matches(node: FilterNode, element: dict, attribute: schema.Attribute) -> bool:
    """Whether one value of a multi-valued attribute matches a value filter."""
    if isinstance(node, LogicalExpr):
        results = (_matches(term, element, attribute) for term in node.terms)
        return all(results) if node.op == LogicalOperator.and_ else any(results)
    if isinstance(node, Not):
        return not _matches(node.expr, element, attribute)
    if isinstance(node, Present):
        value = _element_value(element, node.attr_path.attr)
        return value not in (None, "", [])
    if isinstance(node, Comparison):
        sub = attribute.sub(node.attr_path.attr)
        if sub is None:
            return False
        value = _element_value(element, sub.name)
        if value is None:
            return False
        left, right = value, node.value
        if isinstance(left, str) or isinstance(right, str):
            left, right = str(left), str(right)
            if not sub.case_exact:
                left, right = left.lower(), right.lower()
        try:
            return {
                CompareOperator.eq: left == right,
                CompareOperator.ne: left != right,
                CompareOperator.co: str(right) in str(left),
                CompareOperator.sw: str(left).startswith(str(right)),
                CompareOperator.ew: str(left).endswith(str(right)),
                CompareOperator.gt: left > right,
                CompareOperator.ge: left >= right,
                CompareOperator.lt: left < right,
                CompareOperator.le: left <= right,
            }[node.op]
        except TypeError:
            return False
    raise ScimError(400, "invalidFilter", "A value filter does not nest.")


def _element_from_filter(node: FilterNode, attribute: schema.Attribute) -> dict | None:
    """The value a filter of ``eq`` tests describes (``type eq "work"``), to create it."""
    terms = (
        node.terms if isinstance(node, LogicalExpr) and node.op == LogicalOperator.and_ else (node,)
    )
    element = {}
    for term in terms:
        if not isinstance(term, Comparison) or term.op != CompareOperator.eq:
            return None
        sub = attribute.sub(term.attr_path.attr)
        if sub is None:
            return None
        element[sub.name] = term.value
    return element
