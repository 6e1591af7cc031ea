"""What the sample company is drawn from: the purchase, dropout and spend processes' parameters,
the shares of channels, countries and categories, costs, and the names customers are given."""

from __future__ import annotations

YEAR_DAYS = 365.25

# Purchase process (rates per year), dropout and spend parameters. Tuned so that the default
# 5,000 customers place about 50,000 orders over three years.
PURCHASE_RATE_SHAPE, PURCHASE_RATE_SCALE = 0.75, 25.0
DROPOUT_A, DROPOUT_B = 0.9, 11.0
SPEND_P, SPEND_Q, SPEND_GAMMA = 6.0, 4.0, 45.0

SIGNUP_CHANNELS = ("paid_search", "paid_social", "organic", "referral", "affiliate", "direct")
SIGNUP_CHANNEL_SHARE = (0.28, 0.22, 0.20, 0.10, 0.08, 0.12)
# Where repeat orders come from, for customers who opted in to marketing (email included).
REPEAT_CHANNELS = ("email", "direct", "organic", "paid_search", "paid_social", "affiliate")
REPEAT_CHANNEL_SHARE_OPTED_IN = (0.35, 0.25, 0.18, 0.12, 0.07, 0.03)
COUNTRIES = ("US", "CA", "GB", "DE", "AU")
COUNTRY_SHARE = (0.70, 0.14, 0.07, 0.05, 0.04)
MARKETING_OPT_IN_RATE = 0.68
CATEGORY_SHARE = (0.18, 0.24, 0.14, 0.07, 0.10, 0.15, 0.07, 0.05)
CATEGORY_PRICE_FACTOR = (1.3, 0.8, 1.5, 1.2, 1.35, 0.45, 1.9, 1.5)
FAVOURITE_CATEGORY_LOYALTY = 0.55
DISCOUNT_RATES = (0.10, 0.15, 0.20, 0.25)
DISCOUNT_CHANCE, DISCOUNT_CHANCE_BLACK_FRIDAY = 0.12, 0.55
TICKET_RATE = 0.06
TICKET_TOPIC_SHARE = (0.26, 0.18, 0.08, 0.12, 0.10, 0.07, 0.08, 0.06, 0.05)
TICKET_CHANNELS = ("email", "chat", "phone")
TICKET_CHANNEL_SHARE = (0.55, 0.35, 0.10)
ESCALATION_RATE = 0.08
# Cost of acquiring a customer through each paid channel, and what email costs a week per
# thousand customers on file.
CAC = {"paid_search": 38.0, "paid_social": 46.0, "referral": 20.0, "affiliate": 31.0}
EMAIL_COST_PER_1K_CUSTOMERS_WEEK = 120.0  # the email platform plus the people writing it
CPM = {"paid_search": 11.0, "paid_social": 7.5, "referral": 0.0, "affiliate": 4.0, "email": 0.0}
CTR = {"paid_search": 0.032, "paid_social": 0.011, "referral": 0.0, "affiliate": 0.006}

FIRST_NAMES = (
    "Avery",
    "Blake",
    "Casey",
    "Dakota",
    "Emerson",
    "Finley",
    "Harper",
    "Jordan",
    "Kai",
    "Logan",
    "Morgan",
    "Quinn",
    "Reese",
    "Riley",
    "Rowan",
    "Sage",
    "Skyler",
    "Taylor",
    "Aspen",
    "River",
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Elijah",
    "Sophia",
    "Mateo",
    "Isabella",
    "Lucas",
    "Mia",
    "Levi",
    "Amelia",
    "Ezra",
    "Evelyn",
    "Luca",
    "Aria",
    "Asher",
    "Chloe",
    "Leo",
    "Nora",
    "Hudson",
    "Hazel",
    "Wyatt",
    "Ivy",
    "Jack",
    "Luna",
    "Owen",
    "Stella",
    "Caleb",
    "Maya",
    "Eli",
    "Zoe",
    "Miles",
    "Aurora",
    "Theo",
    "Willow",
    "Ethan",
    "Layla",
    "Jonah",
    "Priya",
    "Arjun",
    "Mei",
    "Hiro",
    "Ana",
    "Diego",
    "Fatima",
    "Omar",
    "Ingrid",
    "Lars",
    "Sofia",
    "Marco",
    "Chiara",
    "Pierre",
    "Elise",
    "Tomas",
    "Nadia",
    "Ravi",
    "Yuki",
    "Kofi",
)
LAST_NAMES = (
    "Anderson",
    "Bennett",
    "Carter",
    "Dawson",
    "Ellis",
    "Fischer",
    "Garcia",
    "Hughes",
    "Iverson",
    "Jensen",
    "Keller",
    "Larsen",
    "Martinez",
    "Nguyen",
    "Olsen",
    "Patel",
    "Quintero",
    "Reyes",
    "Sato",
    "Thompson",
    "Underwood",
    "Vasquez",
    "Walker",
    "Xu",
    "Young",
    "Zimmerman",
    "Brooks",
    "Chen",
    "Diaz",
    "Evans",
    "Foster",
    "Gray",
    "Hayes",
    "Ito",
    "Jackson",
    "Kim",
    "Lopez",
    "Murphy",
    "Nakamura",
    "Ortiz",
    "Price",
    "Rossi",
    "Schmidt",
    "Torres",
    "Usman",
    "Volkov",
    "Wright",
    "Yilmaz",
    "Alvarez",
    "Baker",
    "Campbell",
    "Douglas",
    "Ferreira",
    "Gunnarsson",
    "Holm",
    "Ivanova",
    "Johansson",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Park",
    "Rivera",
    "Silva",
    "Tanaka",
    "Weber",
    "Abbott",
    "Sullivan",
    "McAllister",
)
