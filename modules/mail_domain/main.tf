# An SES domain identity the services send e-mail from, signed with Easy DKIM (2048-bit keys).
# Its DKIM records must be published in the domain's DNS (output dkim_records) before SES sends;
# a new account also starts in the SES sandbox (verified recipients only) until AWS lifts it.
resource "aws_sesv2_email_identity" "this" {
  email_identity = var.domain
  tags           = var.tags

  dkim_signing_attributes {
    next_signing_key_length = "RSA_2048_BIT"
  }
}
