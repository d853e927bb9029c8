//! The JSON body extractor: errors name the field.
