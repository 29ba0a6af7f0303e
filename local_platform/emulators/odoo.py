"""A contract emulator of Odoo's external API: JSON-2 (`/json/2/<model>/<method>`) and JSON-RPC (`/jsonrpc`).

It speaks what Odoo documents for both transports, for the models and methods
the order saga uses (the sale and stock apps' records, the ORM's search, read,
create and write, `sale.order.action_confirm` and `action_cancel`):

- JSON-2: a bearer API key, a JSON object of named parameters plus `ids` and
  `context`; 200 with the result, or 4xx/5xx with `{name, message, arguments,
  context, debug}`: 401 for a bad key, 403 access, 404 a missing record or an
  unknown model/method, 422 a validation or business error or bad parameters,
  405 for a method other than POST, 500 anything else.
- JSON-RPC: `common.login`, `common.version`, `object.execute_kw` and
  `object.execute`; errors in a 200 as `{"error": {"code": 200, "message":
  "Odoo Server Error", "data": {name, message, arguments, context, debug}}}`.

Like Odoo, every call is one transaction: here, calls are serialised by one
lock, so a call sees no other call's half-done work and either applies whole or
not at all (validation happens before any write). Stock is finite and runs
out: confirming a sale order reserves what is free (quantity on hand minus
what is already reserved) on its delivery order's moves, so concurrent
confirmations never reserve a unit twice; cancelling releases it.

For tests and the demo, `faults` injects what a real server does on a bad
day: an outage (503 from the reverse proxy), latency, or the next N calls
failing with a server error.
"""

from __future__ import annotations

import fnmatch
import inspect
import itertools
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from local_platform.emulators.http_server import EmulatorServer, Request, Response

VERSION = {"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0"}
CENT = Decimal("0.01")

# The StockOSS catalogue the local ERP sells: sku -> (name, net list price EUR, VAT %, units on hand).
STOCKOSS_CATALOG: dict[str, tuple[str, str, str, int]] = {
    "SKU-CHAIR-OAK": ("Oak chair", "124.17", "20", 500),
    "SKU-DESK-180": ("Desk 180 cm", "416.58", "20", 200),
    "SKU-LAMP-LED": ("LED lamp", "33.33", "20", 1000),
    "SKU-SHELF-5": ("Shelf, 5 levels", "74.58", "20", 300),
    "SKU-RUG-200": ("Rug 200 cm", "175.00", "20", 150),
    "SKU-MUG-SET": ("Mug set", "20.75", "20", 2000),
    "SKU-SOFA-3P": ("Three-seat sofa", "1082.50", "20", 40),
    "SKU-CABLE-USB": ("USB cable", "8.33", "20", 5000),
    "SKU-BOOK-DESIGN": ("Design book", "28.44", "5.5", 300),
}
COUNTRIES = {
    "FR": "France",
    "BE": "Belgium",
    "DE": "Germany",
    "ES": "Spain",
    "IT": "Italy",
    "NL": "Netherlands",
    "LU": "Luxembourg",
    "PT": "Portugal",
    "GB": "United Kingdom",
    "CH": "Switzerland",
    "US": "United States",
}


# -- Odoo's exceptions, as the wire names them -----------------------------------------------------


class OdooException(Exception):
    name = "odoo.exceptions.UserError"
    status = 422

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UserError(OdooException):
    pass


class ValidationError(OdooException):
    name = "odoo.exceptions.ValidationError"


class AccessError(OdooException):
    name = "odoo.exceptions.AccessError"
    status = 403


class AccessDenied(OdooException):
    name = "odoo.exceptions.AccessDenied"
    status = 403


class MissingError(OdooException):
    name = "odoo.exceptions.MissingError"
    status = 404


class Unauthorized(OdooException):
    name = "werkzeug.exceptions.Unauthorized"
    status = 401


class NotFound(OdooException):
    name = "werkzeug.exceptions.NotFound"
    status = 404


class UnprocessableEntity(OdooException):
    name = "werkzeug.exceptions.UnprocessableEntity"
    status = 422


class InternalServerError(OdooException):
    name = "werkzeug.exceptions.InternalServerError"
    status = 500


def _error_body(exc: OdooException, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": exc.name,
        "message": exc.message,
        "arguments": [exc.message] if exc.status != 401 else [exc.message, 401],
        "context": dict(context or {}),
        "debug": f"Traceback (most recent call last):\n  (local Odoo emulator)\n{exc.name}: {exc.message}\n",
    }


# -- the database ----------------------------------------------------------------------------------

# model -> field -> kind: "char", "int", "float", "bool", "m2o:<model>", "o2m", "m2m"
MODELS: dict[str, dict[str, str]] = {
    "res.currency": {"name": "char"},
    "res.company": {"name": "char", "currency_id": "m2o:res.currency"},
    "res.country": {"name": "char", "code": "char"},
    "account.tax": {"name": "char", "amount": "float", "amount_type": "char", "type_tax_use": "char"},
    "res.partner": {
        "name": "char",
        "ref": "char",
        "email": "char",
        "phone": "char",
        "is_company": "bool",
        "vat": "char",
        "company_registry": "char",
        "street": "char",
        "street2": "char",
        "zip": "char",
        "city": "char",
        "country_id": "m2o:res.country",
        "type": "char",
        "parent_id": "m2o:res.partner",
    },
    "product.product": {
        "default_code": "char",
        "name": "char",
        "list_price": "float",
        "taxes_id": "m2m",
        "sale_ok": "bool",
        "is_storable": "bool",
    },
    "sale.order": {
        "name": "char",
        "state": "char",
        "partner_id": "m2o:res.partner",
        "partner_shipping_id": "m2o:res.partner",
        "client_order_ref": "char",
        "origin": "char",
        "note": "char",
        "currency_id": "m2o:res.currency",
        "amount_untaxed": "float",
        "amount_tax": "float",
        "amount_total": "float",
        "order_line": "o2m",
        "picking_ids": "o2m",
    },
    "sale.order.line": {
        "order_id": "m2o:sale.order",
        "product_id": "m2o:product.product",
        "name": "char",
        "product_uom_qty": "float",
        "price_unit": "float",
        "tax_ids": "m2m",
        "price_subtotal": "float",
    },
    "stock.picking": {
        "name": "char",
        "state": "char",
        "origin": "char",
        "sale_id": "m2o:sale.order",
        "move_ids": "o2m",
    },
    "stock.move": {
        "picking_id": "m2o:stock.picking",
        "product_id": "m2o:product.product",
        "product_uom_qty": "float",
        "quantity": "float",
        "state": "char",
    },
    "stock.quant": {"product_id": "m2o:product.product", "quantity": "float", "reserved_quantity": "float"},
}
# What a client may set through create/write (the rest is computed).
WRITABLE: dict[str, set[str]] = {
    "res.partner": set(MODELS["res.partner"]),
    "sale.order": {"partner_id", "partner_shipping_id", "client_order_ref", "origin", "note", "order_line"},
    "product.product": {"default_code", "name", "list_price", "taxes_id", "sale_ok", "is_storable"},
}
REQUIRED: dict[str, tuple[str, ...]] = {"res.partner": ("name",), "sale.order": ("partner_id",)}
DEFAULTS: dict[str, dict[str, Any]] = {
    "res.partner": {"type": "contact", "is_company": False},
    "product.product": {"sale_ok": True, "is_storable": True},
}


def _money(value: Decimal) -> float:
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


@dataclass
class Faults:
    """What the emulator does wrong, on purpose (tests, the demo)."""

    outage: bool = False  # every request: 503 from the reverse proxy in front of Odoo
    latency_seconds: float = 0.0  # added to every request
    fail_next: int = 0  # the next N calls fail with a server error (an internal error in Odoo)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take_failure(self) -> bool:
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return True
            return False


class OdooDatabase:
    """Records per model, one lock per call (a transaction)."""

    def __init__(self, name: str = "stockoss"):
        self.name = name
        self.lock = threading.RLock()
        self.records: dict[str, dict[int, dict[str, Any]]] = {model: {} for model in MODELS}
        self._ids = {model: itertools.count(1) for model in MODELS}
        self._sale_names = itertools.count(1)
        self._picking_names = itertools.count(1)
        self.calls: dict[str, int] = {}

    # -- seeding (what an Odoo database with the sale and stock apps holds) --

    def seed(self, catalog: Mapping[str, tuple[str, str, str, int]] = STOCKOSS_CATALOG) -> OdooDatabase:
        eur = self._insert("res.currency", {"name": "EUR"})
        self._insert("res.company", {"name": "StockOSS SAS", "currency_id": eur})
        for code, name in COUNTRIES.items():
            self._insert("res.country", {"code": code, "name": name})
        taxes: dict[str, int] = {}
        for sku, (name, price, rate, on_hand) in catalog.items():
            if rate not in taxes:
                taxes[rate] = self._insert(
                    "account.tax",
                    {
                        "name": f"{rate}% VAT",
                        "amount": float(rate),
                        "amount_type": "percent",
                        "type_tax_use": "sale",
                    },
                )
            self.add_product(sku, name, Decimal(price), taxes[rate], on_hand)
        return self

    def add_product(self, sku: str, name: str, price: Decimal, tax_id: int, on_hand: int) -> int:
        with self.lock:
            product = self._insert(
                "product.product",
                {
                    "default_code": sku,
                    "name": name,
                    "list_price": float(price),
                    "taxes_id": [tax_id],
                    "sale_ok": True,
                    "is_storable": True,
                },
            )
            self._insert(
                "stock.quant", {"product_id": product, "quantity": float(on_hand), "reserved_quantity": 0.0}
            )
            return product

    def set_on_hand(self, sku: str, quantity: int) -> None:
        """Set a product's quantity on hand (an inventory adjustment)."""
        with self.lock:
            quant = self._quant(self._product_by_sku(sku))
            quant["quantity"] = float(quantity)

    def free_quantity(self, sku: str) -> int:
        with self.lock:
            quant = self._quant(self._product_by_sku(sku))
            return int(quant["quantity"] - quant["reserved_quantity"])

    def reserved_quantity(self, sku: str) -> int:
        with self.lock:
            return int(self._quant(self._product_by_sku(sku))["reserved_quantity"])

    def sale_orders(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(row) for row in self.records["sale.order"].values()]

    def _product_by_sku(self, sku: str) -> int:
        for pid, row in self.records["product.product"].items():
            if row["default_code"] == sku:
                return pid
        raise KeyError(sku)

    def _quant(self, product_id: int) -> dict[str, Any]:
        return next(q for q in self.records["stock.quant"].values() if q["product_id"] == product_id)

    def _insert(self, model: str, values: dict[str, Any]) -> int:
        record_id = next(self._ids[model])
        row = {f: self._empty(kind) for f, kind in MODELS[model].items()}
        row.update(DEFAULTS.get(model, {}))
        row.update(values)
        row["id"] = record_id
        self.records[model][record_id] = row
        return record_id

    @staticmethod
    def _empty(kind: str) -> Any:
        if kind in ("o2m", "m2m"):
            return []
        if kind in ("float", "int"):
            return 0.0
        return False

    # -- the ORM methods, one call each ------------------------------------------------

    def call(self, model: str, method: str, ids: Sequence[int], params: dict[str, Any]) -> Any:
        if model not in MODELS:
            raise NotFound(f"the model {model!r} does not exist")
        function, api_model = self._method(model, method)
        if api_model and ids:
            raise UnprocessableEntity(f"cannot call {model}.{method} with ids")
        try:
            if api_model:
                inspect.signature(function).bind(model, **params)
            else:
                inspect.signature(function).bind(model, list(ids), **params)
        except TypeError as exc:
            raise UnprocessableEntity(exc.args[0]) from exc
        with self.lock:
            self.calls[f"{model}.{method}"] = self.calls.get(f"{model}.{method}", 0) + 1
            if api_model:
                return function(model, **params)
            self._check_exist(model, ids)
            return function(model, list(ids), **params)

    def _method(self, model: str, method: str) -> tuple[Callable[..., Any], bool]:
        generic: dict[str, tuple[Callable[..., Any], bool]] = {
            "search": (self._search, True),
            "search_read": (self._search_read, True),
            "search_count": (self._search_count, True),
            "create": (self._create, True),
            "read": (self._read, False),
            "write": (self._write, False),
            "web_read": (self._web_read, False),
            "web_search_read": (self._web_search_read, True),
        }
        specific: dict[tuple[str, str], tuple[Callable[..., Any], bool]] = {
            ("sale.order", "action_confirm"): (self._action_confirm, False),
            ("sale.order", "action_cancel"): (self._action_cancel, False),
        }
        found = specific.get((model, method)) or generic.get(method)
        if found is None:
            raise NotFound(f"The method {method!r} does not exist on the model {model!r}")
        return found

    def _check_exist(self, model: str, ids: Sequence[int]) -> None:
        missing = [i for i in ids if i not in self.records[model]]
        if missing:
            raise MissingError(
                f"Record does not exist or has been deleted.\n(Record: {model}({', '.join(map(str, missing))}), User: 2)"
            )

    def _search(
        self,
        model: str,
        domain: list[Any],
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[int]:
        rows = [row for row in self.records[model].values() if self._matches(model, row, domain)]
        field_name, _, direction = (order or "id asc").partition(" ")
        rows.sort(
            key=lambda r: (r.get(field_name) is False, r.get(field_name)), reverse=direction.lower() == "desc"
        )
        ids = [row["id"] for row in rows][offset:]
        return ids[:limit] if limit else ids

    def _search_read(
        self,
        model: str,
        *,
        domain: list[Any] | None = None,
        fields: list[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[dict[str, Any]]:
        return self._read(
            model, self._search(model, domain or [], offset=offset, limit=limit, order=order), fields
        )

    def _search_count(self, model: str, domain: list[Any], *, limit: int | None = None) -> int:
        return len(self._search(model, domain, limit=limit))

    def _read(
        self, model: str, ids: list[int], fields: list[str] | None = None, load: str | None = "_classic_read"
    ) -> list[dict[str, Any]]:
        names = fields or list(MODELS[model])
        unknown = [f for f in names if f not in MODELS[model] and f != "id"]
        if unknown:
            raise ValueError(f"Invalid field {unknown[0]!r} on model {model!r}")
        out = []
        for record_id in ids:
            row = self.records[model][record_id]
            rendered: dict[str, Any] = {"id": record_id}
            for name in names:
                if name != "id":
                    rendered[name] = self._render(MODELS[model][name], row[name], load)
            out.append(rendered)
        return out

    def _web_read(self, model: str, ids: list[int], specification: dict[str, Any]) -> list[dict[str, Any]]:
        """Odoo 17+'s nested read (the web client's): relational fields read through their own specification."""
        return [self._web_record(model, record_id, specification) for record_id in ids]

    def _web_search_read(
        self,
        model: str,
        *,
        specification: dict[str, Any],
        domain: list[Any] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        count_limit: int | None = None,
    ) -> dict[str, Any]:
        ids = self._search(model, domain or [], offset=offset, limit=limit, order=order)
        return {"length": len(ids), "records": self._web_read(model, ids, specification)}

    def _web_record(self, model: str, record_id: int, specification: dict[str, Any]) -> dict[str, Any]:
        row = self.records[model][record_id]
        out: dict[str, Any] = {"id": record_id}
        for name, spec in specification.items():
            if name == "display_name":
                out[name] = self._display_name(model, record_id)
                continue
            if name not in MODELS[model]:
                raise ValueError(f"Invalid field {name!r} on model {model!r}")
            kind, value = MODELS[model][name], row[name]
            sub = (spec or {}).get("fields")
            if kind.startswith("m2o:"):
                target = kind[4:]
                out[name] = (
                    (self._web_record(target, value, sub) if sub is not None else value) if value else False
                )
            elif kind in ("o2m", "m2m"):
                target = self._x2many_target(model, name)
                out[name] = (
                    [self._web_record(target, i, sub) for i in value] if sub is not None else list(value)
                )
            else:
                out[name] = value
        return out

    @staticmethod
    def _x2many_target(model: str, name: str) -> str:
        targets = {
            ("sale.order", "order_line"): "sale.order.line",
            ("sale.order", "picking_ids"): "stock.picking",
            ("stock.picking", "move_ids"): "stock.move",
            ("sale.order.line", "tax_ids"): "account.tax",
            ("product.product", "taxes_id"): "account.tax",
        }
        return targets[(model, name)]

    def _render(self, kind: str, value: Any, load: str | None) -> Any:
        if kind.startswith("m2o:") and value and load == "_classic_read":
            target = kind[4:]
            return [value, self._display_name(target, value)]
        if kind in ("o2m", "m2m"):
            return list(value)
        return value

    def _display_name(self, model: str, record_id: int) -> str:
        row = self.records[model][record_id]
        if model == "product.product" and row["default_code"]:
            return f"[{row['default_code']}] {row['name']}"
        return str(row.get("name") or f"{model},{record_id}")

    def _matches(self, model: str, row: dict[str, Any], domain: list[Any]) -> bool:
        stack: list[bool] = []
        for term in reversed(domain):
            if term == "&":
                stack.append(stack.pop() and stack.pop())
            elif term == "|":
                stack.append(stack.pop() or stack.pop())
            elif term == "!":
                stack.append(not stack.pop())
            else:
                stack.append(self._term(model, row, term))
        return all(stack)

    def _term(self, model: str, row: dict[str, Any], term: Sequence[Any]) -> bool:
        if not isinstance(term, list | tuple) or len(term) != 3:
            raise ValueError(f"Invalid leaf {term!r}")
        name, operator, value = term
        if name == "id":
            current: Any = row["id"]
        elif name in MODELS[model]:
            current = row[name]
        else:
            raise ValueError(f"Invalid field {model}.{name} in leaf {term!r}")
        if isinstance(current, list) and operator in ("=", "in"):
            wanted = value if isinstance(value, list) else [value]
            return bool(set(current) & set(wanted))
        comparisons: dict[str, Callable[[Any, Any], bool]] = {
            "=": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            "in": lambda a, b: a in b,
            "not in": lambda a, b: a not in b,
            "<": lambda a, b: a is not False and a < b,
            ">": lambda a, b: a is not False and a > b,
            "<=": lambda a, b: a is not False and a <= b,
            ">=": lambda a, b: a is not False and a >= b,
            "like": lambda a, b: isinstance(a, str) and str(b) in a,
            "ilike": lambda a, b: isinstance(a, str) and str(b).lower().strip("%") in a.lower(),
            "=like": lambda a, b: isinstance(a, str) and fnmatch.fnmatchcase(a, str(b).replace("%", "*")),
            "=ilike": lambda a, b: (
                isinstance(a, str) and fnmatch.fnmatchcase(a.lower(), str(b).lower().replace("%", "*"))
            ),
        }
        if operator not in comparisons:
            raise ValueError(f"Invalid operator {operator!r} in leaf {term!r}")
        return comparisons[operator](current, value)

    # -- writes -----------------------------------------------------------------------

    def _create(self, model: str, vals_list: list[dict[str, Any]] | dict[str, Any]) -> list[int] | int:
        single = isinstance(vals_list, dict)
        batch = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        for values in batch:  # validate everything before writing anything: the call is atomic
            self._validate(model, values)
        ids = [self._create_one(model, values) for values in batch]
        return ids[0] if single else ids

    def _validate(self, model: str, values: Mapping[str, Any]) -> None:
        if model not in WRITABLE:
            raise AccessError(f"You are not allowed to create '{model}' records.")
        self._validate_fields(model, values)
        self._validate_references(model, values)
        if model == "sale.order":
            for command in values.get("order_line", []):
                self._validate_line(command)

    @staticmethod
    def _validate_fields(model: str, values: Mapping[str, Any]) -> None:
        for name in values:
            if name not in MODELS[model]:
                raise ValueError(f"Invalid field {name!r} on model {model!r}")
            if name not in WRITABLE[model]:
                raise UserError(f"The field {name!r} of {model!r} is computed and cannot be set.")
        missing = [name for name in REQUIRED.get(model, ()) if not values.get(name)]
        if missing:
            raise ValidationError(
                f"The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n"
                f"- Model: {model}, Field: {missing[0]}"
            )

    def _validate_references(self, model: str, values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            kind = MODELS[model][name]
            if kind.startswith("m2o:") and value and value not in self.records[kind[4:]]:
                raise ValidationError(
                    f"The operation cannot be completed: {name} refers to a record of {kind[4:]} that does not exist"
                )

    def _validate_line(self, command: Any) -> None:
        if not (isinstance(command, list | tuple) and len(command) == 3 and command[0] == 0):
            raise ValueError(f"Unsupported x2many command {command!r}")
        line = command[2]
        product = self.records["product.product"].get(line.get("product_id"))
        if product is None:
            raise ValidationError("The operation cannot be completed: a line has no existing product")
        if not product["sale_ok"]:
            raise UserError(f"The product {product['name']!r} cannot be sold.")
        if not float(line.get("product_uom_qty", 1)) > 0:
            raise ValidationError("The ordered quantity of a line must be positive.")

    def _create_one(self, model: str, values: dict[str, Any]) -> int:
        if model != "sale.order":
            return self._insert(model, dict(values))
        lines = values.get("order_line", [])
        order_id = self._insert(
            "sale.order",
            {
                **{k: v for k, v in values.items() if k != "order_line"},
                "name": f"S{next(self._sale_names):05d}",
                "state": "draft",
                "currency_id": self.records["res.company"][1]["currency_id"],
                "partner_shipping_id": values.get("partner_shipping_id") or values["partner_id"],
            },
        )
        for _, _, line in lines:
            self._add_line(order_id, line)
        self._compute_amounts(order_id)
        return order_id

    def _add_line(self, order_id: int, values: Mapping[str, Any]) -> None:
        product = self.records["product.product"][values["product_id"]]
        quantity = Decimal(str(values.get("product_uom_qty", 1)))
        price = Decimal(str(values.get("price_unit", product["list_price"])))
        line_id = self._insert(
            "sale.order.line",
            {
                "order_id": order_id,
                "product_id": product["id"],
                "name": values.get("name") or self._display_name("product.product", product["id"]),
                "product_uom_qty": float(quantity),
                "price_unit": float(price),
                "tax_ids": list(product["taxes_id"]),
                "price_subtotal": _money(price * quantity),
            },
        )
        self.records["sale.order"][order_id]["order_line"].append(line_id)

    def _compute_amounts(self, order_id: int) -> None:
        # Taxes rounded per line (Odoo's default "round per line"), then summed.
        order = self.records["sale.order"][order_id]
        net = tax = Decimal(0)
        for line_id in order["order_line"]:
            line = self.records["sale.order.line"][line_id]
            subtotal = Decimal(str(line["price_subtotal"]))
            rate = sum(
                (Decimal(str(self.records["account.tax"][t]["amount"])) for t in line["tax_ids"]), Decimal(0)
            )
            net += subtotal
            tax += (subtotal * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        order.update(amount_untaxed=_money(net), amount_tax=_money(tax), amount_total=_money(net + tax))

    def _write(self, model: str, ids: list[int], vals: dict[str, Any]) -> bool:
        self._validate(model, vals)
        if model == "sale.order" and any(self.records[model][i]["state"] != "draft" for i in ids):
            raise UserError("A confirmed or cancelled sale order cannot be modified.")
        for record_id in ids:
            self.records[model][record_id].update({k: v for k, v in vals.items() if k != "order_line"})
        return True

    # -- sale and stock ---------------------------------------------------------------------

    def _action_confirm(self, model: str, ids: list[int]) -> bool:
        orders = [self.records["sale.order"][i] for i in ids]
        wrong = [o["name"] for o in orders if o["state"] not in ("draft", "sent")]
        if wrong:
            raise UserError(
                f"The following orders are not in a state requiring confirmation: {', '.join(wrong)}"
            )
        empty = [o["name"] for o in orders if not o["order_line"]]
        if empty:
            raise UserError(f"There are no order lines to confirm on {', '.join(empty)}.")
        for order in orders:
            order["state"] = "sale"
            self._create_delivery(order)
        return True

    def _create_delivery(self, order: dict[str, Any]) -> None:
        picking_id = self._insert(
            "stock.picking",
            {
                "name": f"WH/OUT/{next(self._picking_names):05d}",
                "state": "draft",
                "origin": order["name"],
                "sale_id": order["id"],
            },
        )
        picking = self.records["stock.picking"][picking_id]
        for line_id in order["order_line"]:
            line = self.records["sale.order.line"][line_id]
            quant = self._quant(line["product_id"])
            demand = line["product_uom_qty"]
            reserved = max(0.0, min(demand, quant["quantity"] - quant["reserved_quantity"]))
            quant["reserved_quantity"] += reserved
            state = "assigned" if reserved == demand else "partially_available" if reserved else "confirmed"
            move_id = self._insert(
                "stock.move",
                {
                    "picking_id": picking_id,
                    "product_id": line["product_id"],
                    "product_uom_qty": demand,
                    "quantity": reserved,
                    "state": state,
                },
            )
            picking["move_ids"].append(move_id)
        moves = [self.records["stock.move"][m] for m in picking["move_ids"]]
        picking["state"] = "assigned" if all(m["state"] == "assigned" for m in moves) else "confirmed"
        order["picking_ids"].append(picking_id)

    def _action_cancel(self, model: str, ids: list[int]) -> bool:
        for order_id in ids:
            order = self.records["sale.order"][order_id]
            for picking_id in order["picking_ids"]:
                picking = self.records["stock.picking"][picking_id]
                if picking["state"] == "done":
                    raise UserError(
                        f"You cannot cancel {order['name']}: its delivery {picking['name']} is done."
                    )
            for picking_id in order["picking_ids"]:
                picking = self.records["stock.picking"][picking_id]
                for move_id in picking["move_ids"]:
                    move = self.records["stock.move"][move_id]
                    self._quant(move["product_id"])["reserved_quantity"] -= move["quantity"]
                    move.update(quantity=0.0, state="cancel")
                picking["state"] = "cancel"
            order["state"] = "cancel"
        return True


# -- the HTTP side ------------------------------------------------------------------------------


class OdooEmulator(EmulatorServer):
    """Odoo's two external APIs over one database; one API key (JSON-2) and one login (JSON-RPC)."""

    name = "odoo-emulator"

    def __init__(
        self,
        database: OdooDatabase | None = None,
        *,
        api_key: str | None = None,
        login: str = "stockoss-integration",
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        super().__init__(host, port)
        self.db = database or OdooDatabase().seed()
        self.api_key = api_key or secrets.token_hex(20)  # Odoo's keys are 160-bit
        self.login = login
        self.uid = 2
        self.faults = Faults()

    @property
    def database(self) -> str:
        return self.db.name

    def respond(self, request: Request) -> Response:
        if self.faults.latency_seconds:
            time.sleep(self.faults.latency_seconds)
        if self.faults.outage:
            return Response(
                503,
                b"<html><body><h1>503 Service Unavailable</h1></body></html>",
                {"Content-Type": "text/html"},
            )
        if request.path == "/web/version":
            return Response.json(200, VERSION)
        if request.path == "/jsonrpc":
            return self._jsonrpc(request)
        parts = request.path.strip("/").split("/")
        if len(parts) == 4 and parts[:2] == ["json", "2"]:
            return self._json2(request, parts[2], parts[3])
        return Response(404, b"Not Found", {"Content-Type": "text/plain"})

    # -- JSON-2 --

    def _json2(self, request: Request, model: str, method: str) -> Response:
        context: dict[str, Any] = {}
        try:
            if request.method != "POST":
                raise _http(
                    405,
                    "werkzeug.exceptions.MethodNotAllowed",
                    "The method is not allowed for the requested URL.",
                )
            self._bearer(request.headers.get("authorization", ""))
            try:
                body = request.json() or {}
            except ValueError as exc:
                raise _http(
                    400, "werkzeug.exceptions.BadRequest", f"could not parse the body as json: {exc}"
                ) from exc
            if not isinstance(body, dict):
                raise _http(
                    400, "werkzeug.exceptions.BadRequest", "could not parse the body, expecting a json object"
                )
            ids = body.pop("ids", None) or []
            context = body.pop("context", None) or {}
            result = self._dispatch(model, method, ids, body)
            return Response.json(200, result)
        except OdooException as exc:
            return Response.json(exc.status, _error_body(exc, context))

    def _bearer(self, header: str) -> None:
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(key.strip(), self.api_key):
            raise Unauthorized("Invalid apikey")

    def _dispatch(self, model: str, method: str, ids: Sequence[int], params: dict[str, Any]) -> Any:
        if self.faults.take_failure():
            raise InternalServerError("internal server error")
        try:
            return self.db.call(model, method, ids, params)
        except OdooException:
            raise
        except (ValueError, TypeError, KeyError) as exc:
            # What Odoo answers for an exception that is not one of its own: a 500.
            raise InternalServerError(f"{type(exc).__name__}: {exc}") from exc

    # -- JSON-RPC --

    def _jsonrpc(self, request: Request) -> Response:
        try:
            call = request.json()
        except ValueError:
            return Response.json(200, _rpc_error(None, -32700, "Parse error", None))
        request_id = call.get("id") if isinstance(call, dict) else None
        params = call.get("params") if isinstance(call, dict) else None
        if not isinstance(params, dict):
            return Response.json(200, _rpc_error(request_id, -32600, "Invalid Request", None))
        service, method, args = params.get("service"), params.get("method"), params.get("args") or []
        try:
            result = self._rpc(service, method, list(args))
        except OdooException as exc:
            return Response.json(200, _rpc_error(request_id, 200, "Odoo Server Error", _error_body(exc)))
        return Response.json(200, {"jsonrpc": "2.0", "id": request_id, "result": result})

    def _rpc(self, service: Any, method: Any, args: list[Any]) -> Any:
        if service == "common" and method == "version":
            return {
                "server_version": VERSION["version"],
                "server_version_info": VERSION["version_info"],
                "protocol_version": 1,
            }
        if service == "common" and method in ("login", "authenticate"):
            database, login, password = args[:3]
            ok = (
                database == self.database
                and login == self.login
                and secrets.compare_digest(str(password), self.api_key)
            )
            return self.uid if ok else False
        if service == "object" and method in ("execute_kw", "execute"):
            if len(args) < 5:
                raise UnprocessableEntity(f"{method} takes at least 5 arguments")
            database, uid, password, model, model_method = args[:5]
            if (
                database != self.database
                or uid != self.uid
                or not secrets.compare_digest(str(password), self.api_key)
            ):
                raise AccessDenied("Access Denied")
            positional = (args[5] if len(args) > 5 else []) if method == "execute_kw" else args[5:]
            keywords = dict(args[6]) if method == "execute_kw" and len(args) > 6 and args[6] else {}
            keywords.pop("context", None)
            return self._execute(str(model), str(model_method), list(positional), keywords)
        raise NotFound(f"no service method {service}.{method}")

    def _execute(self, model: str, method: str, positional: list[Any], keywords: dict[str, Any]) -> Any:
        if model not in MODELS:
            raise NotFound(f"the model {model!r} does not exist")
        function, api_model = self.db._method(model, method)
        ids: list[int] = []
        if not api_model:
            if not positional:
                raise UnprocessableEntity(f"{model}.{method} needs record ids as its first argument")
            first = positional.pop(0)
            ids = first if isinstance(first, list) else [first]
        names = [p for p in inspect.signature(function).parameters if p not in ("model", "ids")]
        if len(positional) > len(names):
            raise UnprocessableEntity(
                f"{method}() takes {len(names)} positional arguments but {len(positional)} were given"
            )
        params = dict(zip(names, positional, strict=False))
        overlap = set(params) & set(keywords)
        if overlap:
            raise UnprocessableEntity(f"{method}() got multiple values for argument {sorted(overlap)[0]!r}")
        return self._dispatch(model, method, ids, {**params, **keywords})

    def status(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "database": self.database,
            "requests": self.requests,
            "calls": dict(self.db.calls),
        }


def _http(status: int, name: str, message: str) -> OdooException:
    error = OdooException(message)
    error.status = status
    error.name = name
    return error


def _rpc_error(request_id: Any, code: int, message: str, data: dict[str, Any] | None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def skus_on_hand(db: OdooDatabase, skus: Iterable[str]) -> dict[str, tuple[int, int]]:
    """(on hand, reserved) per SKU: what tests and the demo check after a run."""
    with db.lock:
        out = {}
        for sku in skus:
            quant = db._quant(db._product_by_sku(sku))
            out[sku] = (int(quant["quantity"]), int(quant["reserved_quantity"]))
        return out


def catalog_prices(db: OdooDatabase) -> dict[str, tuple[Decimal, Decimal]]:
    """(net list price, VAT %) per SKU: what a client shows before placing an order."""
    with db.lock:
        out = {}
        for row in db.records["product.product"].values():
            rate = sum(
                (Decimal(str(db.records["account.tax"][t]["amount"])) for t in row["taxes_id"]), Decimal(0)
            )
            out[row["default_code"]] = (Decimal(str(row["list_price"])), rate)
        return out
