"""What the SCIM endpoint serves: its schemas, resource types and capabilities.

The attributes declared here are the ones the portal keeps, with the RFC 7643
characteristics they have here; ``/Schemas`` publishes exactly these, and the
filters, PATCH paths and the mapping read them from here. Standard attributes an
identity provider sends by default that the portal does not keep (``emails``,
``addresses``, the enterprise ``manager``...) are listed in ``NOT_KEPT``: they
are accepted and dropped, and a filter on them matches nothing, as on an
attribute without a value.
"""

from dataclasses import dataclass, field

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"


def canonical_number(text: str) -> bool:
    """Whether ``text`` is an id's number as written: digits, no leading zero, in range."""
    return text.isascii() and text.isdigit() and str(int(text)) == text and int(text) < 2**63


# A page holds at most this many resources, whatever ``count`` asks.
MAX_RESULTS = 1000


@dataclass(frozen=True)
class Attribute:
    """One attribute, with its RFC 7643 (section 7) characteristics."""

    name: str
    type: str = "string"
    description: str = ""
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    sub_attributes: tuple["Attribute", ...] = ()

    def sub(self, name: str) -> "Attribute | None":
        lowered = name.lower()
        return next((a for a in self.sub_attributes if a.name.lower() == lowered), None)

    def as_dict(self) -> dict:
        data = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": self.uniqueness,
        }
        if self.canonical_values:
            data["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            data["referenceTypes"] = list(self.reference_types)
        if self.sub_attributes:
            data["subAttributes"] = [a.as_dict() for a in self.sub_attributes]
        return data


@dataclass(frozen=True)
class Schema:
    id: str
    name: str
    description: str
    attributes: tuple[Attribute, ...]
    not_kept: frozenset[str] = field(default_factory=frozenset)

    def attribute(self, name: str) -> Attribute | None:
        lowered = name.lower()
        return next((a for a in self.attributes if a.name.lower() == lowered), None)

    def as_dict(self, location: str) -> dict:
        return {
            "schemas": [SCHEMA_SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [a.as_dict() for a in self.attributes],
            "meta": {"resourceType": "Schema", "location": location},
        }


USER = Schema(
    id=USER_SCHEMA,
    name="User",
    description="A person of the organization.",
    attributes=(
        Attribute(
            "userName",
            description="The sign-in name, in one of the organization's verified domains.",
            required=True,
            uniqueness="server",
        ),
        Attribute(
            "name",
            type="complex",
            description="The person's name.",
            sub_attributes=(
                Attribute("givenName", description="First name."),
                Attribute("familyName", description="Last name."),
            ),
        ),
        Attribute(
            "displayName",
            description="The name shown in lists; made from the name when not given.",
            required=True,
        ),
        Attribute("title", description="Job title."),
        Attribute(
            "active",
            type="boolean",
            description="Whether the person may sign in (false blocks sign-in).",
            required=True,
        ),
        Attribute(
            "phoneNumbers",
            type="complex",
            multi_valued=True,
            description="The work phone number (the business phone).",
            sub_attributes=(
                Attribute("value", description="The number."),
                Attribute(
                    "type",
                    description="Only work numbers are kept.",
                    canonical_values=("work",),
                ),
            ),
        ),
    ),
    not_kept=frozenset(
        name.lower()
        for name in (
            "nickName",
            "profileUrl",
            "userType",
            "preferredLanguage",
            "locale",
            "timezone",
            "password",
            "emails",
            "ims",
            "photos",
            "addresses",
            "groups",
            "entitlements",
            "roles",
            "x509Certificates",
            # Parts of kept attributes that the portal does not keep.
            "name.formatted",
            "name.middleName",
            "name.honorificPrefix",
            "name.honorificSuffix",
            "phoneNumbers.display",
            "phoneNumbers.primary",
        )
    ),
)

ENTERPRISE = Schema(
    id=ENTERPRISE_SCHEMA,
    name="EnterpriseUser",
    description="The enterprise user extension.",
    attributes=(Attribute("department", description="Department."),),
    not_kept=frozenset(
        name.lower()
        for name in (
            "employeeNumber",
            "costCenter",
            "organization",
            "division",
            "manager",
        )
    ),
)

GROUP = Schema(
    id=GROUP_SCHEMA,
    name="Group",
    description="A security group of the organization.",
    attributes=(
        Attribute(
            "displayName",
            description="The group's name.",
            required=True,
        ),
        Attribute(
            "members",
            type="complex",
            multi_valued=True,
            description="The group's members: people of the organization.",
            sub_attributes=(
                Attribute(
                    "value",
                    description="The member's id.",
                    case_exact=True,
                    mutability="immutable",
                ),
                Attribute(
                    "$ref",
                    type="reference",
                    description="The member's address.",
                    case_exact=True,
                    mutability="immutable",
                    reference_types=("User",),
                ),
                Attribute(
                    "type",
                    description="Always User.",
                    mutability="immutable",
                    canonical_values=("User",),
                ),
            ),
        ),
    ),
)

# The common attributes (RFC 7643, section 3.1), on every resource.
EXTERNAL_ID = Attribute("externalId", case_exact=True, description="The provider's id.")

SCHEMAS = {schema.id: schema for schema in (USER, ENTERPRISE, GROUP)}


@dataclass(frozen=True)
class ResourceType:
    name: str
    endpoint: str
    schema: Schema
    extensions: tuple[Schema, ...] = ()
    description: str = ""

    def as_dict(self, location: str) -> dict:
        return {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": self.name,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.schema.id,
            "schemaExtensions": [
                {"schema": extension.id, "required": False} for extension in self.extensions
            ],
            "meta": {"resourceType": "ResourceType", "location": location},
        }


RESOURCE_TYPES = {
    "User": ResourceType("User", "/Users", USER, (ENTERPRISE,), "People of the organization."),
    "Group": ResourceType("Group", "/Groups", GROUP, (), "Security groups."),
}


def service_provider_config(location: str, documentation: str) -> dict:
    return {
        "schemas": [CONFIG_SCHEMA],
        "documentationUri": documentation,
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "API client secret",
                "description": (
                    "The secret of an API client of the organization (Settings > API "
                    "access), as Authorization: Bearer <secret>."
                ),
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": location},
    }
