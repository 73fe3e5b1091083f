"""Security info's card on Home: whether this admin could get back in on their own."""

from django.db import connection

# Both answers in one query, written out: Home asks on every visit, and composing
# it with the ORM costs several times what the database spends on it. Whether the
# admin has a confirmed mobile phone, and a confirmed alternate email.
FLAGS_SQL = """
    SELECT
        EXISTS (SELECT 1 FROM security_info_phonedevice WHERE user_id = %s AND confirmed = %s),
        EXISTS (SELECT 1 FROM security_info_altemaildevice WHERE user_id = %s AND confirmed = %s)
"""


def card(request):
    user_id = request.user.pk
    with connection.cursor() as cursor:
        cursor.execute(FLAGS_SQL, [user_id, True, user_id, True])
        # SQLite answers 0 or 1, PostgreSQL a boolean.
        has_phone, has_email = (bool(flag) for flag in cursor.fetchone())
    return {
        "template": "security_info/home_card.html",
        "has_phone": has_phone,
        "has_email": has_email,
        "ready": has_phone and has_email,
    }
