//! `enum_with_unknown!`: lossless codepoint enums, after smoltcp's macro of the same name.

/// Define a codepoint enum whose `Unknown(n)` variant keeps every unnamed value, with
/// `From<$ty>`, `From<Enum> for $ty`, IANA-named `Debug`/`Display`, and equality, ordering and
/// hashing by numeric value (so `Unknown(34)` equals the named variant for 34: a value built by
/// hand compares the same as one that came off the wire).
macro_rules! enum_with_unknown {
    (
        $( #[$enum_attr:meta] )*
        pub enum $name:ident($ty:ty) {
            $(
                $( #[$variant_attr:meta] )*
                $variant:ident = $value:literal => $iana:literal
            ),+ $(,)?
        }
    ) => {
        $( #[$enum_attr] )*
        #[derive(Clone, Copy)]
        pub enum $name {
            $(
                $( #[$variant_attr] )*
                #[doc = concat!("`", $iana, "` (", stringify!($value), ").")]
                $variant,
            )+
            /// A value with no name here, kept verbatim so it round-trips.
            Unknown($ty),
        }

        impl ::core::convert::From<$ty> for $name {
            fn from(value: $ty) -> Self {
                match value {
                    $( $value => $name::$variant, )+
                    other => $name::Unknown(other),
                }
            }
        }

        impl ::core::convert::From<$name> for $ty {
            fn from(value: $name) -> Self {
                match value {
                    $( $name::$variant => $value, )+
                    $name::Unknown(other) => other,
                }
            }
        }

        impl $name {
            /// The IANA registry name, or `None` for a value without a name here.
            pub fn iana_name(&self) -> Option<&'static str> {
                match <$ty>::from(*self) {
                    $( $value => Some($iana), )+
                    _ => None,
                }
            }

            /// The numeric codepoint.
            pub fn value(&self) -> $ty {
                <$ty>::from(*self)
            }
        }

        impl ::core::cmp::PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                <$ty>::from(*self) == <$ty>::from(*other)
            }
        }

        impl ::core::cmp::Eq for $name {}

        impl ::core::cmp::PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<::core::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl ::core::cmp::Ord for $name {
            fn cmp(&self, other: &Self) -> ::core::cmp::Ordering {
                <$ty>::from(*self).cmp(&<$ty>::from(*other))
            }
        }

        impl ::core::hash::Hash for $name {
            fn hash<H: ::core::hash::Hasher>(&self, state: &mut H) {
                <$ty>::from(*self).hash(state)
            }
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self.iana_name() {
                    Some(name) => f.write_str(name),
                    None => write!(f, "{}::Unknown({})", stringify!($name), <$ty>::from(*self)),
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Debug::fmt(self, f)
            }
        }
    };
}
